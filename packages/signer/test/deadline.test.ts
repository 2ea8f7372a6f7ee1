/**
 * One deadline per vault call: a key whose vault keeps its own deadline (the AWS KMS vault) is bounded
 * by that one alone; the signer's `signDeadlineMs` bounds only keys whose vault keeps none.
 * Real parts: kms-local in this process with a Sign latency, the AWS SDK vault, the file watermark store.
 */
import path from 'node:path';
import { fromHex, SignatoryError, type KeyRef, type Vault } from '@signatory-ts/core';
import { FileWatermarkStore } from '@signatory-ts/watermark';
import { createSigner } from '../src';
import { startKmsFixture, type KmsFixture } from './kms-fixture';
import { C2, CHAIN, ED, ED_SK } from './requests';

const SLOT = { chainId: CHAIN, pkh: ED, kind: 'preattestation' } as const;
/** The signer's own deadline: far below the KMS latency below, far below the vault's deadline. */
const SIGNER_DEADLINE_MS = 50;

let f: KmsFixture;
let key: KeyRef;

beforeAll(async () => {
  f = await startKmsFixture('signer-deadline-', [ED_SK], { deadlineMs: 30_000 });
  for await (const listed of f.vault.list()) if (listed.ok) key = listed.key;
  f.kms.faults.setLatency(4 * SIGNER_DEADLINE_MS, 'Sign');
});
afterAll(() => f?.close());

async function signWith(v: Vault, store: FileWatermarkStore): Promise<string> {
  const policies = new Map([[ED, { allowedRequests: ['preattestation'], allowedOperations: [] }]]) as unknown as ReadonlyMap<string, null>;
  const s = await createSigner({ vaults: [v], policies, watermarkStore: store, signDeadlineMs: SIGNER_DEADLINE_MS });
  try {
    return (await s.sign({ pkh: ED, bytes: fromHex(C2) })).signature;
  } finally {
    await s.close();
  }
}

describe('the deadline of a vault call', () => {
  it('a key whose vault keeps its own deadline is not cut by the signer’s shorter one', async () => {
    expect(key.deadlineMs).toBe(30_000);
    const store = new FileWatermarkStore({ baseDir: path.join(f.dir, 'own') });
    expect(await signWith(f.vault, store)).toMatch(/^edsig/);
    expect(await store.get(SLOT)).toMatchObject({ level: 34, round: 4 });
  });

  it('a key whose vault keeps none is bounded by the signer’s deadline: vault_unavailable, nothing stored', async () => {
    // the same KMS key behind a vault that does not say it bounds its calls
    let call: Promise<string> | undefined;
    const bare: KeyRef = { vault: key.vault, id: key.id, pkh: key.pkh, publicKey: key.publicKey, sign: (m) => (call = key.sign(m)) };
    const unbounded: Vault = {
      name: f.vault.name,
      async *list() {
        yield { ok: true, key: bare };
      },
    };
    const store = new FileWatermarkStore({ baseDir: path.join(f.dir, 'none') });
    const failure = await signWith(unbounded, store).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(SignatoryError);
    expect(failure).toMatchObject({ code: 'vault_unavailable', message: `vault AWSKMS (key ${key.id}) did not answer within 50 ms` });
    expect(await store.get(SLOT)).toBeUndefined();
    expect(await call).toMatch(/^edsig/); // the vault's answer came after the deadline: dropped, never released or stored
    expect(await store.get(SLOT)).toBeUndefined();
  });
});
