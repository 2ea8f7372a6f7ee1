import fs from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalForger } from '@taquito/local-forging';
import { OpKind } from '@taquito/rpc';
import type { SpendCap } from '@signatory-ts/config';
import { fromHex, SignatoryError } from '@signatory-ts/core';
import type { KmsLocal } from '@signatory-ts/kms-local';
import { FileSpendLedger, MemorySpendLedger, type ReserveResult, type SpendLedger } from '@signatory-ts/spend-ledger';
import type { AwsKmsVault } from '@signatory-ts/vault-awskms';
import { FileLock, type FileWatermarkStore } from '@signatory-ts/watermark';
import type { Listed, Vault } from '@signatory-ts/core';
import { createSigner, type Signer, type SignerEvents, type SignerOptions, type SpendWindows } from '../src';
import { startKmsFixture, type KmsFixture } from './kms-fixture';
import { ED, ED_SK } from './requests';

// Spend caps in the signer, with real parts: kms-local in this process (its fault injection for
// KMS failures and hangs), the AWS SDK vault, the memory and the file spend ledgers, requests
// forged by Taquito. Time is a test clock passed to createSigner.
const BOB = 'tz1KuxKxPSnwLiTqZ37LRw6AXUt553ouPvEY';
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
/** 1h: 10 tz, 24h: 15 tz. */
const CAPS: SpendCap[] = [
  { window: '1h', windowSeconds: 3600, amount: 10_000_000n },
  { window: '24h', windowSeconds: 86_400, amount: 15_000_000n },
];

let fixture: KmsFixture;
let dir: string;
let kms: KmsLocal;
let vault: AwsKmsVault;
let store: FileWatermarkStore;

beforeAll(async () => {
  fixture = await startKmsFixture('signer-spend-', [ED_SK]); // the hang test has a vault with a short deadline
  ({ dir, kms, vault, store } = fixture);
});
afterAll(() => fixture?.close());
afterEach(() => kms.faults.clear());

/** A transfer of `amount` mutez from ED with a fee of 1000 mutez and no storage: it spends amount + 1000. */
async function transfer(amount: bigint): Promise<Uint8Array> {
  const hex = await new LocalForger().forge({
    branch: 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2',
    contents: [
      {
        kind: OpKind.TRANSACTION,
        source: ED,
        fee: '1000',
        counter: '1',
        gas_limit: '2000',
        storage_limit: '0',
        amount: amount.toString(),
        destination: BOB,
      },
    ],
  });
  return fromHex('03' + hex);
}
const FEE = 1000n;

interface Setup {
  /** Signs a transfer of `amount`; with `deadlineInMs`, the request's deadline is that far from now. */
  sign(amount: bigint, deadlineInMs?: number): Promise<string>;
  clock: { now: number };
  ledger: SpendLedger;
  violations: string[];
  windows: SpendWindows[];
  signer: Signer;
}

/** The real memory ledger behind a gate standing for a slow store: reservations land when `open()` is called. */
function slowLedger(): { ledger: MemorySpendLedger; open: () => void; landed: ReserveResult[] } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const landed: ReserveResult[] = [];
  class SlowLedger extends MemorySpendLedger {
    override async reserve(...args: Parameters<MemorySpendLedger['reserve']>): Promise<ReserveResult> {
      await gate;
      const r = await super.reserve(...args);
      landed.push(r);
      return r;
    }
  }
  return { ledger: new SlowLedger(), open, landed };
}

async function setup(ledger: SpendLedger, extra: Partial<SignerOptions> = {}): Promise<Setup> {
  const clock = { now: T0 };
  const violations: string[] = [];
  const windows: SpendWindows[] = [];
  const events: SignerEvents = {
    policyViolation: (e) => violations.push(`${e.rule}/${e.violation}`),
    spend: (e) => windows.push(e),
  };
  const policies = new Map([[ED, { allowedRequests: ['generic'], allowedOperations: ['transaction'], limits: { spend: CAPS } }]]);
  const s = await createSigner({
    vaults: [vault],
    policies: policies as never,
    watermarkStore: store,
    signDeadlineMs: 1000,
    spendLedger: ledger,
    // a ledger write (an fsync for the file ledger) may take seconds on a loaded disk; only the gated ledger below is cut
    spendLedgerTimeoutMs: 60_000,
    now: () => clock.now,
    events,
    ...extra,
  });
  const sign = async (amount: bigint, deadlineInMs?: number) => {
    const bytes = await transfer(amount);
    try {
      const deadline = deadlineInMs !== undefined ? { deadline: performance.now() + deadlineInMs } : {};
      return (await s.sign({ pkh: ED, bytes, ...deadline })).signature;
    } catch (e) {
      if (!(e instanceof SignatoryError)) throw e;
      return `${e.code}: ${e.message}`;
    }
  };
  return { sign, clock, ledger, violations, windows, signer: s };
}

const spent = async (ledger: SpendLedger, now: number) => (await ledger.show(ED, CAPS, now)).map((w) => [w.spent, w.reserved]);

describe.each([
  ['memory', () => new MemorySpendLedger()],
  ['file', () => new FileSpendLedger({ baseDir: path.join(dir, `file-${Math.random().toString(36).slice(2)}`) })],
])('spend caps on the %s ledger', (_name, open) => {
  it('signs up to the cap exactly, confirmed; one mutez over is refused 403 naming the window, spent, amount and cap', async () => {
    const t = await setup(open());
    expect(await t.sign(6_000_000n - FEE)).toMatch(/^edsig/);
    expect(await t.sign(4_000_000n - FEE)).toMatch(/^edsig/); // exactly 10 tz in the hour
    expect(await spent(t.ledger, T0)).toEqual([
      [10_000_000n, 0n],
      [10_000_000n, 0n],
    ]);
    expect(await t.sign(1n)).toBe('policy_denied: spend cap 10 tz per 1h: 10 tz spent, this request 0.001001 tz');
    expect(t.violations).toEqual(['limits/spend']);
    expect(await spent(t.ledger, T0)).toEqual([
      [10_000_000n, 0n],
      [10_000_000n, 0n],
    ]);
    // the gauges' source: what each window held after each reservation, the refused one included
    expect(t.windows.map((w) => w.windows.map((x) => x.spent))).toEqual([
      [6_000_000n, 6_000_000n],
      [10_000_000n, 10_000_000n],
      [10_000_000n, 10_000_000n],
    ]);
  });

  it('windows roll on the clock: 1 ms before the hour still counts, at the hour it has passed; the 24h cap then binds', async () => {
    const t = await setup(open());
    expect(await t.sign(10_000_000n - FEE)).toMatch(/^edsig/);
    t.clock.now = T0 + HOUR - 1;
    expect(await t.sign(1n)).toBe('policy_denied: spend cap 10 tz per 1h: 10 tz spent, this request 0.001001 tz');
    t.clock.now = T0 + HOUR;
    expect(await t.sign(5_000_000n - FEE)).toMatch(/^edsig/);
    expect(await t.sign(1n)).toBe('policy_denied: spend cap 15 tz per 24h: 15 tz spent, this request 0.001001 tz');
    t.clock.now = T0 + 24 * HOUR;
    expect(await t.sign(1n)).toMatch(/^edsig/); // the first 10 tz left the 24h window
  });

  it('a KMS failure gives the reservation back', async () => {
    const t = await setup(open());
    kms.faults.failNext(50, 'KMSInvalidStateException', { operations: ['Sign'] });
    expect(await t.sign(10_000_000n - FEE)).toMatch(/^vault_unavailable: /);
    kms.faults.clear();
    expect(await spent(t.ledger, T0)).toEqual([
      [0n, 0n],
      [0n, 0n],
    ]);
    expect(t.windows.at(-1)!.windows.map((w) => w.spent)).toEqual([0n, 0n]); // the gauges follow the release
    expect(await t.sign(10_000_000n - FEE)).toMatch(/^edsig/); // the whole cap is still there
  });

  it('a KMS call past the signer deadline gives the reservation back', async () => {
    const t = await setup(open(), { vaults: [fixture.newVault({ deadlineMs: 1500 })] });
    kms.faults.hang({ operations: ['Sign'] });
    expect(await t.sign(10_000_000n - FEE)).toMatch(/^vault_unavailable: /);
    expect(await spent(t.ledger, T0)).toEqual([
      [0n, 0n],
      [0n, 0n],
    ]);
  });
});

describe('spend ledger failures refuse (fail closed)', () => {
  it('a ledger that cannot be written refuses with 500 naming the ledger and the cause; the vault is not asked', async () => {
    const base = path.join(dir, 'broken');
    await mkdir(base);
    await writeFile(path.join(base, 'spend_ledger'), 'not a directory');
    const t = await setup(new FileSpendLedger({ baseDir: base }));
    kms.faults.failNext(1, 'KMSInvalidStateException', { operations: ['Sign'] }); // armed: a vault call would take it
    const answer = await t.sign(1n);
    expect(answer).toMatch(/^internal: spend ledger file: cannot lock .*spend_ledger.*ENOTDIR.*Nothing was reserved or signed$/);
    expect(kms.faults.snapshot().fail?.remaining).toBe(1);
  });

  it('a ledger that does not answer within its timeout refuses; a reservation landing later is given back', async () => {
    const { ledger, open, landed } = slowLedger();
    const t = await setup(ledger, { spendLedgerTimeoutMs: 200 });
    expect(await t.sign(1_000_000n)).toBe(
      'internal: spend ledger mem: reserve failed: no answer to reserve within 200 ms; nothing was signed',
    );
    open();
    // wait for the late reservation to land and be given back (a ledger read, no sleep)
    while (landed.length === 0 || (await spent(ledger, T0))[0]![0] !== 0n) await new Promise((r) => setTimeout(r, 10));
    expect(landed[0]!.ok).toBe(true);
    expect(await spent(ledger, T0)).toEqual([
      [0n, 0n],
      [0n, 0n],
    ]);
  });

  it('a release the file ledger wrote but could not sync to disk counts as given back (the gauges follow it)', async () => {
    const ledger = new FileSpendLedger({ baseDir: path.join(dir, 'not-durable') });
    const t = await setup(ledger);
    // the directory fsync after the rename fails from the second write on (the release): a fault at the
    // system-call boundary, the ledger and its files real
    const realOpen = fs.openSync.bind(fs);
    let dirOpens = 0;
    jest.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      if (p === ledger.dir && flags === 'r' && ++dirOpens > 1) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      return realOpen(p, flags ?? 'r', mode);
    }) as typeof fs.openSync);
    try {
      kms.faults.failNext(50, 'KMSInvalidStateException', { operations: ['Sign'] });
      expect(await t.sign(1_000_000n)).toMatch(/^vault_unavailable: /);
      expect(dirOpens).toBe(2);
    } finally {
      jest.restoreAllMocks();
    }
    expect(await spent(ledger, T0)).toEqual([
      [0n, 0n],
      [0n, 0n],
    ]);
    expect(t.windows.at(-1)!.windows.map((w) => w.spent)).toEqual([0n, 0n]);
  });

  it('a confirm the ledger cannot make is logged as such, never as "nothing was reserved"; the signature is released and stays counted', async () => {
    const ledger = new FileSpendLedger({ baseDir: path.join(dir, 'confirm-locked'), lockTimeoutMs: 200 });
    const gated = gatedVault(vault, 600_000);
    const errors: string[] = [];
    const logger = { error: (m: string) => errors.push(m), warn: () => undefined, info: () => undefined, debug: () => undefined };
    const t = await setup(ledger, { vaults: [gated.vault], logger });
    const answer = t.sign(1_000_000n - FEE);
    await until(() => gated.calls.started === 1); // reserved; now another process holds the key's file lock
    const lock = await new FileLock(ledger.fileFor(ED), 60_000).acquire();
    try {
      gated.open();
      expect(await answer).toMatch(/^edsig/);
    } finally {
      lock.release();
    }
    expect(errors).toEqual([expect.stringMatching(/^spend ledger file: cannot lock .+: it .+; the reservation stays counted$/)]);
    expect(errors[0]).not.toMatch(/nothing was reserved/i);
    expect(await spent(ledger, T0)).toEqual([
      [1_000_000n, 1_000_000n],
      [1_000_000n, 1_000_000n],
    ]);
  });

  it('a key with spend caps and no ledger is refused at creation', async () => {
    const policies = new Map([[ED, { allowedRequests: ['generic'], allowedOperations: ['transaction'], limits: { spend: CAPS } }]]);
    await expect(createSigner({ vaults: [vault], policies: policies as never, watermarkStore: store })).rejects.toMatchObject({
      code: 'config_invalid',
      message: `key ${ED} has spend caps (limits.spend) but the signer was given no spend ledger to count them`,
    });
  });
});

/**
 * The real KMS vault behind a gate standing for a slow KMS: each Sign call waits until `open()`,
 * then goes to kms-local. `deadlineMs` is what the keys claim of their own deadline (KeyRef.deadlineMs).
 */
function gatedVault(real: Vault, deadlineMs: number) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const calls = { started: 0, finished: 0 };
  const vault: Vault = {
    name: real.name,
    async *list(): AsyncIterable<Listed> {
      for await (const l of real.list()) {
        if (!l.ok) yield l;
        else {
          const key = l.key;
          const sign = async (m: Uint8Array) => {
            calls.started += 1;
            await gate;
            try {
              return await key.sign(m);
            } finally {
              calls.finished += 1;
            }
          };
          yield { ok: true, key: { pkh: key.pkh, publicKey: key.publicKey, vault: key.vault, id: key.id, deadlineMs, sign } };
        }
      }
    },
  };
  return { vault, calls, open };
}

/** Resolves once `done()` holds, checking every 10 ms (an event, no fixed sleep). */
async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((r) => setTimeout(r, 10));
}

describe('one deadline per request: every stage takes its time from what is left', () => {
  const LONG = 600_000; // each stage's own bound, far beyond the test: only the request deadline can end it
  // the request deadline of a request cut at the stage under test: long enough that it always reaches that stage first
  const CUT = 1000;

  it('no time left before the spend ledger: it is not asked, nothing is reserved or signed', async () => {
    let asked = 0;
    class CountingLedger extends MemorySpendLedger {
      override reserve(...args: Parameters<MemorySpendLedger['reserve']>): Promise<ReserveResult> {
        asked += 1;
        return super.reserve(...args);
      }
    }
    const gated = gatedVault(vault, LONG);
    const t = await setup(new CountingLedger(), { vaults: [gated.vault] });
    expect(await t.sign(1_000_000n, -1)).toBe(
      'internal: spend ledger mem: the request deadline had passed before the spend ledger was asked; nothing was reserved or signed',
    );
    expect(asked).toBe(0);
    expect(gated.calls.started).toBe(0);
    gated.open();
  });

  it('a spend ledger slower than the request deadline is cut there (not at its own timeout); a late reservation is given back', async () => {
    const { ledger, open, landed } = slowLedger();
    const t = await setup(ledger, { spendLedgerTimeoutMs: LONG });
    expect(await t.sign(1_000_000n, CUT)).toMatch(
      /^internal: spend ledger mem: reserve failed: no answer to reserve within the \d+ ms the request deadline left; nothing was signed$/,
    );
    open();
    await until(async () => landed.length > 0 && (await spent(ledger, T0))[0]![0] === 0n);
    expect(landed[0]!.ok).toBe(true);
  });

  it('a vault call the request deadline cuts signs nothing and gives the reservation back, even when the vault keeps a longer deadline', async () => {
    const gated = gatedVault(vault, LONG);
    const ledger = new MemorySpendLedger();
    const t = await setup(ledger, { vaults: [gated.vault], signDeadlineMs: LONG });
    expect(await t.sign(1_000_000n, CUT)).toMatch(
      /^vault_unavailable: vault AWSKMS \(key .+\) did not answer within the \d+ ms the request deadline left; nothing was signed$/,
    );
    expect(await spent(ledger, T0)).toEqual([
      [0n, 0n],
      [0n, 0n],
    ]);
    // the call still runs: its lane slot stays taken (the lane bounds vault calls really in flight)
    expect(t.signer.genericLane.inFlight).toBe(1);
    // the vault's late signature is dropped, never released, and not counted
    gated.open();
    await until(() => gated.calls.finished === 1 && t.signer.genericLane.inFlight === 0);
    expect(await spent(ledger, T0)).toEqual([
      [0n, 0n],
      [0n, 0n],
    ]);
  });

  it('a request waiting in the generic lane leaves it at the request deadline, unsigned, its reservation given back', async () => {
    const gated = gatedVault(vault, LONG);
    const ledger = new MemorySpendLedger();
    const t = await setup(ledger, { vaults: [gated.vault], genericLane: { concurrency: 1, maxQueued: 4, maxWaitMs: LONG } });
    const first = t.sign(1_000_000n - FEE); // no deadline: holds the lane's one slot until the gate opens
    await until(() => gated.calls.started === 1);
    expect(await t.sign(2_000_000n - FEE, CUT)).toMatch(
      /^busy: signer busy: waited the \d+ ms the request deadline left for one of 1 generic slots; nothing was signed, retry later$/,
    );
    expect(gated.calls.started).toBe(1);
    expect(await spent(ledger, T0)).toEqual([
      [1_000_000n, 1_000_000n],
      [1_000_000n, 1_000_000n],
    ]);
    gated.open();
    expect(await first).toMatch(/^edsig/);
    expect(await spent(ledger, T0)).toEqual([
      [1_000_000n, 0n],
      [1_000_000n, 0n],
    ]);
  });

  it('a signature the vault gave back is confirmed even when the deadline passed meanwhile, and released to the caller', async () => {
    // the keys claim to settle within 1 ms on their own, so the signer adds no cut around the gated call
    const gated = gatedVault(vault, 1);
    const ledger = new MemorySpendLedger();
    const t = await setup(ledger, { vaults: [gated.vault] });
    const deadlineInMs = CUT;
    const answer = t.sign(1_000_000n - FEE, deadlineInMs);
    await until(() => gated.calls.started === 1);
    const passed = performance.now() + deadlineInMs;
    await until(() => performance.now() > passed); // the request's deadline has certainly passed
    gated.open();
    expect(await answer).toMatch(/^edsig/);
    expect(await spent(ledger, T0)).toEqual([
      [1_000_000n, 0n],
      [1_000_000n, 0n],
    ]);
  });

  it('a confirm slower than the request deadline does not hold the signature back; it lands later and counts', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    class SlowConfirmLedger extends MemorySpendLedger {
      override async confirm(r: Parameters<MemorySpendLedger['confirm']>[0]): Promise<void> {
        await gate;
        return super.confirm(r);
      }
    }
    const ledger = new SlowConfirmLedger();
    const t = await setup(ledger, { spendLedgerTimeoutMs: LONG });
    // generous: reserve and KMS must finish within it on a loaded machine; only the gated confirm must not
    expect(await t.sign(1_000_000n - FEE, 5000)).toMatch(/^edsig/);
    expect(await spent(ledger, T0)).toEqual([
      [1_000_000n, 1_000_000n], // counted, as reserved, while the confirm is pending
      [1_000_000n, 1_000_000n],
    ]);
    open();
    await until(async () => (await spent(ledger, T0))[0]![1] === 0n);
    expect(await spent(ledger, T0)).toEqual([
      [1_000_000n, 0n],
      [1_000_000n, 0n],
    ]);
  });
});
