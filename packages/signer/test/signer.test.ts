import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  encodePublicKey,
  fromHex,
  parseSecretKey,
  pkhOf,
  publicKeyFromSpki,
  secretKeyToPkcs8,
  SignatoryError,
  type Vault,
} from '@signatory-ts/core';
import { startKmsLocal, type KmsLocal } from '@signatory-ts/kms-local';
import { AwsKmsVault } from '@signatory-ts/vault-awskms';
import { FileWatermarkStore } from '@signatory-ts/watermark';
import { KeyIndex, createSigner, type Signer } from '../src';

// Real parts: kms-local in this process, the AWS SDK vault, the file watermark store in a temp dir.
const ED_SK = 'edsk3REH79xaoCkNizrDo8cY4WYwEkrFLTAdjb1pjcP9yQora4qE3Y';
const ED = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const P_SK = 'p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci';
const P = 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK';
// preattestation, level 34, round 4, chain NetXo5iVw1vBoxM (Go Signatory's C2)
const C2 =
  '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44';
const C2_OTHER = C2.slice(0, -2) + '45';
/** C2 at another level (same chain, round 4). */
const preattestationAt = (level: number) => C2.slice(0, 80) + level.toString(16).padStart(8, '0') + C2.slice(88);
// a transaction by ED (forged with @taquito/local-forging, branch = genesis)
const TRANSACTION =
  '038fcf233671b6a04fcf679d2a381c2544ea6c1ea29ba6157776ed8424c7ccd00b6c02e9eef147a9399f12f73e7849c56de3d7b4d5edf9f40302c00c00c0843d00004cbddc4b0180973d51a3665ca42970da24a7a23c00';

let dir: string;
let kms: KmsLocal;
let vault: AwsKmsVault;
let store: FileWatermarkStore;
let listCalls = 0;
let counting: Vault;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signer-test-'));
  kms = await startKmsLocal({ dir: path.join(dir, 'kms') });
  for (const [sk, spec] of [
    [ED_SK, 'ECC_NIST_EDWARDS25519'],
    [P_SK, 'ECC_NIST_P256'],
  ] as const) {
    await kms.createKey({ keySpec: spec, privateKeyPkcs8: Buffer.from(secretKeyToPkcs8(parseSecretKey(sk))) });
  }
  vault = new AwsKmsVault({ endpoint: kms.url, region: 'us-east-1', accessKeyId: 'AKIDTEST', secretAccessKey: 'x', deadlineMs: 1500 });
  counting = { name: vault.name, list: () => (listCalls++, vault.list()) };
  store = new FileWatermarkStore({ baseDir: dir });
});
afterAll(async () => {
  await kms.close();
  await rm(dir, { recursive: true, force: true });
});

const policies = new Map([
  [ED, { allowedRequests: ['preattestation', 'generic'] as const, allowedOperations: ['transaction'] }],
  [P, { allowedRequests: ['preattestation'] as const, allowedOperations: [] }],
]) as unknown as ReadonlyMap<string, null>;

async function signer(): Promise<Signer> {
  return createSigner({ vaults: [vault], policies, watermarkStore: store, signDeadlineMs: 2000 });
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof SignatoryError ? e.code : `untyped: ${String(e)}`;
  }
};

describe('KeyIndex', () => {
  it('looks keys up without vault calls and re-lists for an unknown pkh at most once per interval', async () => {
    listCalls = 0;
    let now = 0;
    const index = new KeyIndex([counting], { refreshIntervalMs: 1000, now: () => now });
    await index.refresh();
    expect(listCalls).toBe(1);
    expect((await index.get(ED)).pkh).toBe(ED);
    expect(listCalls).toBe(1);
    now = 5000;
    const misses = await Promise.all(Array.from({ length: 20 }, () => code(index.get('tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q'))));
    expect(misses).toEqual(Array(20).fill('key_not_found'));
    expect(listCalls).toBe(2); // one single-flight re-list for 20 concurrent misses
    await code(index.get('tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q'));
    expect(listCalls).toBe(2); // throttled
  });

  it('finds a key added to the vault after start-up once the interval has passed', async () => {
    let now = 0;
    const index = new KeyIndex([vault], { refreshIntervalMs: 1000, now: () => now });
    await index.refresh();
    const created = await kms.createKey({ keySpec: 'ECC_NIST_EDWARDS25519' });
    const pub = await vault.client.send(new GetPublicKeyCommand({ KeyId: created.keyId }));
    const pkh = pkhOf(publicKeyFromSpki(new Uint8Array(pub.PublicKey!)));
    now = 2000;
    const key = await index.get(pkh);
    expect(key.publicKey).toBe(encodePublicKey(publicKeyFromSpki(new Uint8Array(pub.PublicKey!))));
  });
});

/** A loopback port nothing listens on (for now). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

/** Polls `check` (a store or index read) until it is true. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

describe('KeyIndex while a vault cannot list', () => {
  it('answers vault_unavailable naming the problem (not key_not_found), re-lists in the background with backoff, and finds the key once KMS is up', async () => {
    const port = await freePort();
    const down = new AwsKmsVault({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      accessKeyId: 'AKIDTEST',
      secretAccessKey: 'x',
      deadlineMs: 200,
    });
    let lists = 0;
    const index = new KeyIndex([{ name: down.name, list: () => (lists++, down.list()) }], { refreshIntervalMs: 60_000, retryBaseMs: 100 });
    let late: KmsLocal | undefined;
    try {
      expect((await index.refresh()).failed).toHaveLength(1);
      const errors = await Promise.all(
        Array.from({ length: 20 }, () =>
          index.get(ED).then(
            () => undefined,
            (e: SignatoryError) => e,
          ),
        ),
      );
      for (const e of errors) {
        expect(e?.code).toBe('vault_unavailable');
        expect(e?.message).toMatch(
          new RegExp(`^${ED} is in no vault that answered, and vault AWSKMS could not list its keys: .*127\\.0\\.0\\.1:${port}`),
        );
      }
      expect(lists).toBeLessThanOrEqual(3); // a flood of lookups does not turn into a flood of listings
      late = await startKmsLocal({ dir: path.join(dir, 'kms-late'), port });
      await late.createKey({ keySpec: 'ECC_NIST_EDWARDS25519', privateKeyPkcs8: Buffer.from(secretKeyToPkcs8(parseSecretKey(ED_SK))) });
      await until(() => index.peek(ED) !== undefined); // no lookup needed: the background re-list found it
      expect(index.snapshot.failed).toEqual([]);
      expect((await index.get(ED)).pkh).toBe(ED);
      expect(await code(index.get('tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q'))).toBe('key_not_found'); // the vault answered: really not there
    } finally {
      index.close();
      await down.close();
      await late?.close();
    }
  });
});

describe('createSigner pipeline', () => {
  it('refuses an unlisted pkh before decoding its bytes', async () => {
    const s = await signer();
    await expect(s.sign({ pkh: 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q', bytes: fromHex('ff') })).rejects.toMatchObject({
      code: 'policy_denied',
      message: 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q is not listed in config',
    });
    expect(await code(s.sign({ pkh: ED, bytes: fromHex('ff') }))).toBe('bad_request');
  });

  it('a KMS failure stores nothing; the next try at the same level signs', async () => {
    const s = await signer();
    kms.faults.failNext(50, 'KMSInvalidStateException', { operations: ['Sign'] });
    expect(await code(s.sign({ pkh: P, bytes: fromHex(C2) }))).toBe('vault_unavailable');
    kms.faults.clear();
    expect(await store.get({ chainId: 'NetXo5iVw1vBoxM', pkh: P, kind: 'preattestation' })).toBeUndefined();
    const first = await s.sign({ pkh: P, bytes: fromHex(C2) });
    expect(first.signature).toMatch(/^p2sig/);
    // ECDSA from KMS is randomized: an identical retry must get the stored signature, not a second one
    expect(await s.sign({ pkh: P, bytes: fromHex(C2) })).toEqual(first);
    expect(await code(s.sign({ pkh: P, bytes: fromHex(C2_OTHER) }))).toBe('watermark_rejected');
  });

  it('a KMS call that hangs past the deadline fails as vault_unavailable and moves nothing', async () => {
    const s = await signer();
    kms.faults.hang({ operations: ['Sign'] });
    expect(await code(s.sign({ pkh: ED, bytes: fromHex(C2) }))).toBe('vault_unavailable'); // not a hang: jest's timeout would fail it
    kms.faults.clear();
    expect(await store.get({ chainId: 'NetXo5iVw1vBoxM', pkh: ED, kind: 'preattestation' })).toBeUndefined();
  });

  it('close() waits for signatures in flight and refuses new requests', async () => {
    const s = await signer();
    kms.faults.setLatency(300, 'Sign');
    const pending = s.sign({ pkh: ED, bytes: fromHex(C2) });
    expect(s.inFlight).toBe(1); // counted from the call on
    const closing = s.close();
    expect(await code(s.sign({ pkh: ED, bytes: fromHex(C2) }))).toBe('vault_unavailable');
    await closing;
    kms.faults.clear();
    expect((await pending).signature).toMatch(/^edsig/);
    expect(await store.get({ chainId: 'NetXo5iVw1vBoxM', pkh: ED, kind: 'preattestation' })).toMatchObject({ level: 34, round: 4 });
  });
});

describe('generic lane', () => {
  it('a generic request that waits longer than maxWaitMs for a slot is refused busy without calling the vault', async () => {
    const s = await createSigner({
      vaults: [vault],
      policies,
      watermarkStore: store,
      signDeadlineMs: 5000,
      genericLane: { concurrency: 1, maxQueued: 4, maxWaitMs: 50 },
    });
    kms.faults.setLatency(500, 'Sign');
    try {
      const first = s.sign({ pkh: ED, bytes: fromHex(TRANSACTION) });
      await until(() => s.genericLane.inFlight === 1);
      await expect(s.sign({ pkh: ED, bytes: fromHex(TRANSACTION) })).rejects.toMatchObject({
        code: 'busy',
        message: 'signer busy: waited 50 ms for one of 1 generic slots; nothing was signed, retry later',
      });
      expect(s.genericLane).toMatchObject({ inFlight: 1, queued: 0 });
      expect((await first).signature).toMatch(/^edsig/);
    } finally {
      kms.faults.clear();
      await s.close();
    }
  });

  it('generic requests wait in their own bounded queue (full: busy) while a consensus request goes to the vault at once', async () => {
    const s = await createSigner({
      vaults: [vault],
      policies,
      watermarkStore: store,
      signDeadlineMs: 5000,
      genericLane: { concurrency: 2, maxQueued: 2 },
    });
    kms.faults.setLatency(300, 'Sign');
    try {
      const settled: string[] = [];
      const generics = [0, 1, 2, 3].map((i) =>
        s.sign({ pkh: ED, bytes: fromHex(TRANSACTION) }).then(
          () => settled.push(`generic ${i}`),
          (e: Error) => settled.push(`generic ${i} failed: ${e.message}`),
        ),
      );
      await until(() => s.genericLane.queued === 2);
      expect(s.genericLane.inFlight).toBe(2);
      // the queue is full: refused at once, nothing signed
      await expect(s.sign({ pkh: ED, bytes: fromHex(TRANSACTION) })).rejects.toMatchObject({
        code: 'busy',
        message: expect.stringMatching(/^signer busy: 2 generic requests are being signed and 2 are waiting; retry later/),
      });
      // a consensus request does not queue behind them
      const consensus = await s.sign({ pkh: ED, bytes: fromHex(preattestationAt(1000)) });
      expect(consensus.signature).toMatch(/^edsig/);
      settled.push('consensus');
      await Promise.all(generics);
      expect(settled.indexOf('consensus')).toBeLessThan(settled.indexOf('generic 2'));
      expect(settled.indexOf('consensus')).toBeLessThan(settled.indexOf('generic 3'));
      expect(settled.filter((x) => x.includes('failed'))).toEqual([]);
      expect(s.genericLane).toMatchObject({ inFlight: 0, queued: 0 });
    } finally {
      kms.faults.clear();
      await s.close();
    }
  });
});
