/**
 * The real parts under the signer suites: kms-local in this process holding the given secret keys, the
 * AWS SDK vault on it, and the file watermark store, all in one temporary directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSecretKey, secretKeyToPkcs8 } from '@signatory-ts/core';
import { startKmsLocal, type KmsLocal } from '@signatory-ts/kms-local';
import { AwsKmsVault, KMS_CURVES, type AwsKmsVaultOptions } from '@signatory-ts/vault-awskms';
import { FileWatermarkStore } from '@signatory-ts/watermark';

export interface KmsFixture {
  readonly dir: string;
  readonly kms: KmsLocal;
  readonly vault: AwsKmsVault;
  readonly store: FileWatermarkStore;
  /** Another vault on the same kms-local (closed by `close()`). */
  newVault(options?: Partial<AwsKmsVaultOptions>): AwsKmsVault;
  close(): Promise<void>;
}

/** Starts the parts in a new directory named `prefix…`; `vault` is made with `vaultOptions` (default deadline 60 s). */
export async function startKmsFixture(
  prefix: string,
  secretKeys: readonly string[],
  vaultOptions: Partial<AwsKmsVaultOptions> = {},
): Promise<KmsFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  let kms: KmsLocal | undefined;
  try {
    kms = await startKmsLocal({ dir: path.join(dir, 'kms') });
    for (const text of secretKeys) {
      const sk = parseSecretKey(text);
      await kms.createKey({ keySpec: KMS_CURVES[sk.curve].keySpec, privateKeyPkcs8: Buffer.from(secretKeyToPkcs8(sk)) });
    }
  } catch (e) {
    await kms?.close(); // a suite whose set-up failed leaves no server or directory behind
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const started = kms;
  const vaults: AwsKmsVault[] = [];
  // by default a deadline no loaded machine reaches on a call that must succeed; a test of the deadline sets its own
  const newVault = (options: Partial<AwsKmsVaultOptions> = {}) => {
    const v = new AwsKmsVault({
      endpoint: started.url,
      region: 'us-east-1',
      accessKeyId: 'AKIDTEST',
      secretAccessKey: 'x',
      deadlineMs: 60_000,
      ...options,
    });
    vaults.push(v);
    return v;
  };
  return {
    dir,
    kms: started,
    vault: newVault(vaultOptions),
    store: new FileWatermarkStore({ baseDir: dir }),
    newVault,
    async close() {
      for (const v of vaults) await v.close();
      await started.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
