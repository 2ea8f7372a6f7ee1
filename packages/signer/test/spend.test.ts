import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalForger } from '@taquito/local-forging';
import { OpKind } from '@taquito/rpc';
import type { SpendCap } from '@signatory-ts/config';
import { fromHex, SignatoryError } from '@signatory-ts/core';
import type { KmsLocal } from '@signatory-ts/kms-local';
import { FileSpendLedger, MemorySpendLedger, type ReserveResult, type SpendLedger } from '@signatory-ts/spend-ledger';
import type { AwsKmsVault } from '@signatory-ts/vault-awskms';
import type { FileWatermarkStore } from '@signatory-ts/watermark';
import { createSigner, type SignerEvents, type SpendWindows } from '../src';
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
  sign(amount: bigint): Promise<string>;
  clock: { now: number };
  ledger: SpendLedger;
  violations: string[];
  windows: SpendWindows[];
}

async function setup(ledger: SpendLedger, extra: { spendLedgerTimeoutMs?: number; vault?: AwsKmsVault } = {}): Promise<Setup> {
  const clock = { now: T0 };
  const violations: string[] = [];
  const windows: SpendWindows[] = [];
  const events: SignerEvents = {
    policyViolation: (e) => violations.push(`${e.rule}/${e.violation}`),
    spend: (e) => windows.push(e),
  };
  const policies = new Map([[ED, { allowedRequests: ['generic'], allowedOperations: ['transaction'], limits: { spend: CAPS } }]]);
  const s = await createSigner({
    vaults: [extra.vault ?? vault],
    policies: policies as never,
    watermarkStore: store,
    signDeadlineMs: 1000,
    spendLedger: ledger,
    // a ledger write (an fsync for the file ledger) may take seconds on a loaded disk; only the gated ledger below is cut
    spendLedgerTimeoutMs: extra.spendLedgerTimeoutMs ?? 60_000,
    now: () => clock.now,
    events,
  });
  const sign = async (amount: bigint) => {
    try {
      return (await s.sign({ pkh: ED, bytes: await transfer(amount) })).signature;
    } catch (e) {
      if (!(e instanceof SignatoryError)) throw e;
      return `${e.code}: ${e.message}`;
    }
  };
  return { sign, clock, ledger, violations, windows };
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
    const t = await setup(open(), { vault: fixture.newVault({ deadlineMs: 1500 }) });
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
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const landed: ReserveResult[] = [];
    // the real memory ledger, behind a gate standing for a slow store
    class SlowLedger extends MemorySpendLedger {
      override async reserve(...args: Parameters<MemorySpendLedger['reserve']>): Promise<ReserveResult> {
        await gate;
        const r = await super.reserve(...args);
        landed.push(r);
        return r;
      }
    }
    const ledger = new SlowLedger();
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

  it('a key with spend caps and no ledger is refused at creation', async () => {
    const policies = new Map([[ED, { allowedRequests: ['generic'], allowedOperations: ['transaction'], limits: { spend: CAPS } }]]);
    await expect(createSigner({ vaults: [vault], policies: policies as never, watermarkStore: store })).rejects.toMatchObject({
      code: 'config_invalid',
      message: `key ${ED} has spend caps (limits.spend) but the signer was given no spend ledger to count them`,
    });
  });
});
