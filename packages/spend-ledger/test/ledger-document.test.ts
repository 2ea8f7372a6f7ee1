import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileSpendLedger, MAX_ENTRIES } from '../src';
import { CAPS, HOUR, KEY, T0, TZ } from './ledger-conformance';

let base: string;
let file: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'spend-doc-'));
  file = path.join(base, 'spend_ledger', `${KEY}.json`);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** Writes a ledger file by hand: `n` entries of 1 mutez, one every `stepMs` ending at T0. */
function writeLedger(n: number, stepMs: number, signed: 0 | 1): void {
  const entries = Array.from({ length: n }, (_, i) => [`e${i}`, T0 - (n - 1 - i) * stepMs, '1', signed]);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ v: 1, entries, resets: {} }));
}

it('a key with too many entries in its longest window merges signed ones into buckets that count no shorter', async () => {
  const ledger = new FileSpendLedger({ baseDir: base });
  const n = MAX_ENTRIES + 500;
  const step = Math.floor((23 * HOUR) / n); // all within the 24h window, 20 s apart
  writeLedger(n, step, 1);
  const exact = async (now: number) => (await ledger.show(KEY, CAPS, now)).map((w) => w.spent);
  const times = [T0, T0 + 10 * 60_000, T0 + HOUR - 1, T0 + 5 * HOUR, T0 + 23 * HOUR];
  const before = await Promise.all(times.map(exact));
  expect(before[0]).toEqual([BigInt(Math.floor(HOUR / step)) + 1n, BigInt(n)]);

  expect((await ledger.reserve(KEY, 1n, CAPS, T0)).ok).toBe(true);
  const kept = (JSON.parse(readFileSync(file, 'utf8')) as { entries: unknown[] }).entries;
  expect(kept.length).toBeLessThanOrEqual(1002); // 24h / 1000 buckets of 86.4 s, plus the new reservation
  for (const [i, now] of times.entries()) {
    const after = await exact(now);
    for (const w of [0, 1]) {
      // never less than before (plus the 1 mutez just reserved, while it is in the window)
      expect(after[w]!).toBeGreaterThanOrEqual(before[i]![w]! + (now - T0 < CAPS[w]!.windowSeconds * 1000 ? 1n : 0n));
    }
  }
  expect((await exact(T0))[1]).toBe(BigInt(n) + 1n); // the 24h window still holds every mutez
});

it('a key whose longest window holds MAX_ENTRIES unconfirmed reservations refuses the next, saying why', async () => {
  const ledger = new FileSpendLedger({ baseDir: base });
  writeLedger(MAX_ENTRIES, 1000, 0);
  await expect(ledger.reserve(KEY, TZ, CAPS, T0)).rejects.toMatchObject({
    code: 'internal',
    message: expect.stringContaining(`spend ledger: key ${KEY} holds ${MAX_ENTRIES} unconfirmed reservations within its longest window`),
  });
});

it('a document with reservations a reset keeps counting is version 2 (an earlier signer, which reads only v1, refuses it rather than drop them); without, version 1', async () => {
  const ledger = new FileSpendLedger({ baseDir: base });
  const stored = () => JSON.parse(readFileSync(file, 'utf8')) as { v: number; kept?: Record<string, string[]> };
  const signing = await ledger.reserve(KEY, TZ, CAPS, T0);
  if (!signing.ok) throw new Error('reserve refused');
  expect(stored().v).toBe(1);
  await ledger.reset(KEY, 3600, T0 + 10);
  expect(stored()).toMatchObject({ v: 2, kept: { '3600': [signing.reservation.id] } });
  await ledger.confirm(signing.reservation);
  await ledger.reset(KEY, 3600, T0 + 20); // confirmed now: the second reset clears it, nothing is kept
  expect(stored().v).toBe(1);
  expect(stored().kept).toBeUndefined();
  writeFileSync(file, JSON.stringify({ v: 3, entries: [], resets: {} }));
  await expect(ledger.show(KEY, CAPS, T0 + 30)).rejects.toThrow(/not a version 1 or 2 ledger/);
});
