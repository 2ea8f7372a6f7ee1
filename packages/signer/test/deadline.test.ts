/**
 * One deadline per vault call: a key whose vault keeps its own deadline (the AWS KMS vault) is bounded
 * by that one alone; the signer's `signDeadlineMs` bounds only keys whose vault keeps none.
 * Real parts: kms-local in this process with a Sign latency, the AWS SDK vault, the file watermark store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromHex, SignatoryError, type KeyRef, type Vault } from '@signatory-ts/core';
import { startKmsLocal, type KmsLocal } from '@signatory-ts/kms-local';
import { AwsKmsVault } from '@signatory-ts/vault-awskms';
import { FileWatermarkStore } from '@signatory-ts/watermark';
import { createSigner } from '../src';

// preattestation, level 34, round 4, chain NetXo5iVw1vBoxM
const PREATTESTATION =
  '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44';
const SLOT = { chainId: 'NetXo5iVw1vBoxM', kind: 'preattestation' } as const;
/** The signer's own deadline: far below the KMS latency below, far below the vault's deadline. */
const SIGNER_DEADLINE_MS = 50;

let dir: string;
let kms: KmsLocal;
let vault: AwsKmsVault;
let key: KeyRef;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signer-deadline-'));
  kms = await startKmsLocal({ dir: path.join(dir, 'kms') });
  await kms.createKey({ keySpec: 'ECC_NIST_EDWARDS25519' });
  vault = new AwsKmsVault({ endpoint: kms.url, region: 'us-east-1', accessKeyId: 'AKIDTEST', secretAccessKey: 'x', deadlineMs: 30_000 });
  for await (const listed of vault.list()) if (listed.ok) key = listed.key;
  kms.faults.setLatency(4 * SIGNER_DEADLINE_MS, 'Sign');
});
afterAll(async () => {
  await vault.close();
  await kms.close();
  await rm(dir, { recursive: true, force: true });
});

async function signWith(v: Vault, store: FileWatermarkStore): Promise<string> {
  const policies = new Map([[key.pkh, { allowedRequests: ['preattestation'], allowedOperations: [] }]]) as unknown as ReadonlyMap<
    string,
    null
  >;
  const s = await createSigner({ vaults: [v], policies, watermarkStore: store, signDeadlineMs: SIGNER_DEADLINE_MS });
  try {
    return (await s.sign({ pkh: key.pkh, bytes: fromHex(PREATTESTATION) })).signature;
  } finally {
    await s.close();
  }
}

describe('the deadline of a vault call', () => {
  it('a key whose vault keeps its own deadline is not cut by the signer’s shorter one', async () => {
    expect(key.deadlineMs).toBe(30_000);
    const store = new FileWatermarkStore({ baseDir: path.join(dir, 'own') });
    expect(await signWith(vault, store)).toMatch(/^edsig/);
    expect(await store.get({ ...SLOT, pkh: key.pkh })).toMatchObject({ level: 34, round: 4 });
  });

  it('a key whose vault keeps none is bounded by the signer’s deadline: vault_unavailable, nothing stored', async () => {
    // the same KMS key behind a vault that does not say it bounds its calls
    let call: Promise<string> | undefined;
    const bare: KeyRef = { vault: key.vault, id: key.id, pkh: key.pkh, publicKey: key.publicKey, sign: (m) => (call = key.sign(m)) };
    const unbounded: Vault = {
      name: vault.name,
      async *list() {
        yield { ok: true, key: bare };
      },
    };
    const store = new FileWatermarkStore({ baseDir: path.join(dir, 'none') });
    const failure = await signWith(unbounded, store).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(SignatoryError);
    expect(failure).toMatchObject({ code: 'vault_unavailable', message: `vault AWSKMS (key ${key.id}) did not answer within 50 ms` });
    expect(await store.get({ ...SLOT, pkh: key.pkh })).toBeUndefined();
    expect(await call).toMatch(/^edsig/); // the vault's answer came after the deadline: dropped, never released or stored
    expect(await store.get({ ...SLOT, pkh: key.pkh })).toBeUndefined();
  });
});
