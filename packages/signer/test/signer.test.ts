import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { createServer } from 'node:net';
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
import type { FileWatermarkStore } from '@signatory-ts/watermark';
import { KeyIndex, createSigner, type Signer, type SignerOptions } from '../src';
import { startKmsFixture, type KmsFixture } from './kms-fixture';
import { C2, ED, ED_SK, P, P_SK, preattestationAt, TRANSACTION } from './requests';

// Real parts: kms-local in this process, the AWS SDK vault, the file watermark store in a temp dir.
const C2_OTHER = C2.slice(0, -2) + '45';

let fixture: KmsFixture;
let dir: string;
let kms: KmsLocal;
let vault: AwsKmsVault;
let store: FileWatermarkStore;
let listCalls = 0;
let counting: Vault;

beforeAll(async () => {
  fixture = await startKmsFixture('signer-test-', [ED_SK, P_SK]); // the hang test has a vault with a short deadline
  ({ dir, kms, vault, store } = fixture);
  counting = { name: vault.name, list: () => (listCalls++, vault.list()) };
});
afterAll(() => fixture?.close());

const policies = new Map([
  [ED, { allowedRequests: ['preattestation', 'generic'] as const, allowedOperations: ['transaction'] }],
  [P, { allowedRequests: ['preattestation'] as const, allowedOperations: [] }],
]) as unknown as ReadonlyMap<string, null>;

async function signer(options: Partial<SignerOptions> = {}): Promise<Signer> {
  return createSigner({ vaults: [vault], policies, watermarkStore: store, signDeadlineMs: 2000, ...options });
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
    const s = await signer({ vaults: [fixture.newVault({ deadlineMs: 1500 })] });
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

/**
 * `v` with its generic (magic byte 0x03) Sign calls held before they reach KMS until `release()`: a vault
 * call that stays in flight exactly as long as the test needs, however slow the machine. Other calls pass.
 */
function holdGenerics(v: Vault): { vault: Vault; held(): number; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  const vault: Vault = {
    name: v.name,
    async *list() {
      for await (const listed of v.list()) {
        if (!listed.ok) {
          yield listed;
          continue;
        }
        const key = listed.key;
        const sign = async (m: Uint8Array) => {
          if (m[0] === 0x03) {
            held += 1;
            await gate;
          }
          return key.sign(m);
        };
        yield { ok: true, key: { vault: key.vault, id: key.id, pkh: key.pkh, publicKey: key.publicKey, deadlineMs: key.deadlineMs, sign } };
      }
    },
  };
  return { vault, held: () => held, release };
}

describe('generic lane', () => {
  it('a generic request that waits longer than maxWaitMs for a slot is refused busy without calling the vault', async () => {
    const gated = holdGenerics(vault);
    const s = await signer({ vaults: [gated.vault], signDeadlineMs: 5000, genericLane: { concurrency: 1, maxQueued: 4, maxWaitMs: 50 } });
    try {
      const first = s.sign({ pkh: ED, bytes: fromHex(TRANSACTION) });
      await until(() => gated.held() === 1); // the first holds the one slot until released below
      await expect(s.sign({ pkh: ED, bytes: fromHex(TRANSACTION) })).rejects.toMatchObject({
        code: 'busy',
        message: 'signer busy: waited 50 ms for one of 1 generic slots; nothing was signed, retry later',
      });
      expect(s.genericLane).toMatchObject({ inFlight: 1, queued: 0 });
      expect(gated.held()).toBe(1); // the refused one never reached the vault
      gated.release();
      expect((await first).signature).toMatch(/^edsig/);
    } finally {
      gated.release();
      await s.close();
    }
  });

  it('generic requests wait in their own bounded queue (full: busy) while a consensus request goes to the vault at once', async () => {
    const gated = holdGenerics(vault);
    const s = await signer({ vaults: [gated.vault], signDeadlineMs: 5000, genericLane: { concurrency: 2, maxQueued: 2 } });
    try {
      const settled: string[] = [];
      const generics = [0, 1, 2, 3].map((i) =>
        s.sign({ pkh: ED, bytes: fromHex(TRANSACTION) }).then(
          () => settled.push(`generic ${i}`),
          (e: Error) => settled.push(`generic ${i} failed: ${e.message}`),
        ),
      );
      await until(() => s.genericLane.queued === 2 && gated.held() === 2);
      expect(s.genericLane.inFlight).toBe(2);
      // the queue is full: refused at once, nothing signed
      await expect(s.sign({ pkh: ED, bytes: fromHex(TRANSACTION) })).rejects.toMatchObject({
        code: 'busy',
        message: expect.stringMatching(/^signer busy: 2 generic requests are being signed and 2 are waiting; retry later/),
      });
      // a consensus request does not queue behind them: it signs while both generic slots are held
      const consensus = await s.sign({ pkh: ED, bytes: fromHex(preattestationAt(1000)) });
      expect(consensus.signature).toMatch(/^edsig/);
      settled.push('consensus');
      expect(s.genericLane).toMatchObject({ inFlight: 2, queued: 2 });
      gated.release();
      await Promise.all(generics);
      expect(settled.indexOf('consensus')).toBeLessThan(settled.indexOf('generic 2'));
      expect(settled.indexOf('consensus')).toBeLessThan(settled.indexOf('generic 3'));
      expect(settled.filter((x) => x.includes('failed'))).toEqual([]);
      expect(s.genericLane).toMatchObject({ inFlight: 0, queued: 0 });
    } finally {
      gated.release();
      await s.close();
    }
  });
});
