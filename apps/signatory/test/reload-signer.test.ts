import { parseConfig } from '@signatory-ts/config';
import type { Vault } from '@signatory-ts/core';
import { awsKmsOpener } from '../src/aws-vault';
import { TRANSACTION } from './payloads';
import { startHarness, VAULT_YAML, type Harness } from './harness';

// The SwappableSigner in one process, on the real AwsKmsVault over kms-local and the file store:
// who closes the vaults and the store when a generation is retired.
const W_SK = 'edsk3REH79xaoCkNizrDo8cY4WYwEkrFLTAdjb1pjcP9yQora4qE3Y';
const W = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const OTHER_SK = 'p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci';
const OTHER = 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK';
const allow = '\n    allow:\n      generic: [transaction]\n';

let h: Harness;
const closed = new Map<unknown, number>();
/** Counts close() calls on a real vault or store (and still closes it). */
function countCloses<T extends { close?(): Promise<void> }>(o: T): T {
  const original = o.close?.bind(o);
  o.close = async () => {
    closed.set(o, (closed.get(o) ?? 0) + 1);
    await original?.();
  };
  return o;
}

/** The KMS deadline of every vault here, and the request deadline: far above the time a test holds a KMS call in kms-local. */
const DEADLINE_MS = 60_000;

beforeAll(async () => {
  h = await startHarness({
    yaml: `${VAULT_YAML}tezos:\n  ${W}:${allow}`,
    keys: [{ secret: W_SK }, { secret: OTHER_SK }],
    kmsDeadlineMs: DEADLINE_MS,
    requestDeadlineMs: DEADLINE_MS,
  });
  countCloses(h.deps.store);
  for (const v of h.deps.vaults) countCloses(v);
});
afterAll(() => h.close());

const config = (keys: string[]) =>
  parseConfig(
    `${VAULT_YAML.replaceAll('{{ENDPOINT}}', h.kms.url).replaceAll('{{BASE}}', h.baseDir)}tezos:\n${keys.map((k) => `  ${k}:${allow}`).join('')}`,
    {
      env: {},
    },
  );

describe('SwappableSigner', () => {
  it('a retired generation finishes, refuses new work, and closes neither the store nor the vaults the next one uses', async () => {
    const first = h.deps.signer.generation;
    expect((await h.post(OTHER, JSON.stringify(TRANSACTION))).status).toBe(403);
    const next = config([W, OTHER]);
    const signer = await h.deps.buildSigner(next, [...first.vaults.values()]);
    await h.deps.signer.swap({ config: next, vaults: first.vaults, signer });
    expect((await h.post(OTHER, JSON.stringify(TRANSACTION))).status).toBe(200);
    expect((await h.post(W, JSON.stringify(TRANSACTION))).status).toBe(200);
    await expect(first.signer.sign({ pkh: W, bytes: Buffer.from(TRANSACTION, 'hex') })).rejects.toThrow('signer is shutting down');
    expect(closed.get(h.deps.store)).toBeUndefined();
    for (const v of first.vaults.values()) expect(closed.get(v)).toBeUndefined();
    expect(h.deps.config).toBe(next);
  });

  it('two reloads in a row: a vault the oldest generation still signs with stays open until its request is done', async () => {
    const g1 = h.deps.signer.generation;
    const [x1] = [...g1.vaults.values()];
    // kms-local holds the first Sign until released, so the request is still in flight on generation 1 while the
    // reloads below run, however loaded the machine
    h.kms.faults.hold({ count: 1, operations: ['Sign'] });
    try {
      const inflight = h.post(W, JSON.stringify(TRANSACTION));
      while (g1.signer.inFlight === 0) await new Promise((r) => setImmediate(r));
      await h.kms.faults.waitHeld(1);
      // reload 1: only tezos: changed, the vault is reused; reload 2: the vault's settings changed, a new one
      const c2 = config([W]);
      const swap2 = h.deps.signer.swap({ config: c2, vaults: g1.vaults, signer: await h.deps.buildSigner(c2, [x1!]) });
      const fresh = countCloses((await awsKmsOpener(DEADLINE_MS, () => undefined)('kms', c2.vaults.get('kms')!)) as Vault);
      const c3 = config([W]);
      await h.deps.signer.swap({ config: c3, vaults: new Map([['kms', fresh]]), signer: await h.deps.buildSigner(c3, [fresh]) });
      // generation 2 drained at once (nothing in flight on it), but generation 1 still signs with x1
      expect(closed.get(x1)).toBeUndefined();
      expect(h.kms.faults.release()).toBe(1);
      expect((await inflight).status).toBe(200);
      await swap2;
      expect(closed.get(x1)).toBe(1);
    } finally {
      h.kms.faults.clear();
    }
  });

  it('a vault the next generation does not use is closed once the old one drained; shutdown closes the rest and the store once', async () => {
    const before = h.deps.signer.generation;
    const old = [...before.vaults.values()];
    const fresh = countCloses((await awsKmsOpener(DEADLINE_MS, () => undefined)('kms', before.config.vaults.get('kms')!)) as Vault);
    const next = config([W]);
    await h.deps.signer.swap({ config: next, vaults: new Map([['kms', fresh]]), signer: await h.deps.buildSigner(next, [fresh]) });
    for (const v of old) expect(closed.get(v)).toBe(1);
    expect(closed.get(fresh)).toBeUndefined();
    expect(h.deps.vaults).toEqual([fresh]);
    expect((await h.post(W, JSON.stringify(TRANSACTION))).status).toBe(200);
    await h.deps.signer.close();
    await h.deps.signer.close();
    expect(closed.get(fresh)).toBe(1);
    expect(closed.get(h.deps.store)).toBe(1);
    for (const v of old) expect(closed.get(v)).toBe(1);
  });
});
