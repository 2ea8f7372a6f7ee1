import type { SpendCap } from '@signatory-ts/config';
import type { SpendLedger } from '../src';

/** What every ledger must do, whatever it stores entries in. */

export const KEY = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
export const OTHER_KEY = 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK';
export const TZ = 1_000_000n;
export const HOUR = 3_600_000;
/** A test clock: a fixed start, moved by hand. */
export const T0 = Date.UTC(2026, 0, 1);

export const cap = (window: string, windowSeconds: number, tez: bigint): SpendCap => ({ window, windowSeconds, amount: tez * TZ });
export const CAPS = [cap('1h', 3600, 200n), cap('24h', 86_400, 1000n)];

export interface LedgerFactory {
  /** A ledger on fresh, empty storage. */
  open(): Promise<SpendLedger>;
  /** Another instance on the storage of `ledger` (a restart, or another replica); absent for memory. */
  reopen?(ledger: SpendLedger): Promise<SpendLedger>;
}

export function describeSpendLedger(name: string, factory: LedgerFactory): void {
  describe(`${name}: spend ledger rules`, () => {
    let ledger: SpendLedger;
    const opened: SpendLedger[] = [];
    beforeEach(async () => {
      ledger = await factory.open();
      opened.push(ledger);
    });
    afterEach(async () => {
      for (const l of opened.splice(0)) await l.close();
    });
    const reserve = (tez: bigint, now: number, caps = CAPS, key = KEY) => ledger.reserve(key, tez * TZ, caps, now);

    it('signs up to the cap exactly and refuses one mutez over, naming the window, what is spent, the amount and the cap', async () => {
      const first = await reserve(150n, T0);
      expect(first.ok).toBe(true);
      // what each window holds once it is made: the signer's gauges, with no second read
      expect(first.windows).toEqual([
        { window: '1h', windowSeconds: 3600, cap: 200n * TZ, spent: 150n * TZ, reserved: 150n * TZ, left: 50n * TZ },
        { window: '24h', windowSeconds: 86_400, cap: 1000n * TZ, spent: 150n * TZ, reserved: 150n * TZ, left: 850n * TZ },
      ]);
      const over = await reserve(60n, T0 + 1000);
      expect(over.windows?.map((w) => w.spent)).toEqual([150n * TZ, 150n * TZ]); // as it stands: the refusal added nothing
      expect({ ...over, windows: undefined }).toEqual({
        ok: false,
        refusal: {
          window: '1h',
          windowSeconds: 3600,
          cap: 200n * TZ,
          spent: 150n * TZ,
          amount: 60n * TZ,
          reason: 'spend cap 200 tz per 1h: 150 tz spent, this request 60 tz',
        },
      });
      expect((await ledger.reserve(KEY, 50n * TZ + 1n, CAPS, T0 + 2000)).ok).toBe(false);
      expect((await ledger.reserve(KEY, 50n * TZ, CAPS, T0 + 3000)).ok).toBe(true);
      expect((await ledger.reserve(KEY, 1n, CAPS, T0 + 4000)).ok).toBe(false);
      // the refusals recorded nothing
      expect((await ledger.show(KEY, CAPS, T0 + 5000)).map((w) => w.spent)).toEqual([200n * TZ, 200n * TZ]);
    });

    it('names the first cap, in config order, that the request would exceed', async () => {
      const caps = [cap('1h', 3600, 200n), cap('24h', 86_400, 300n)];
      for (let h = 0; h < 3; h++) expect((await reserve(100n, T0 + h * HOUR, caps)).ok).toBe(true);
      const r = await reserve(10n, T0 + 3 * HOUR, caps);
      expect(r.ok === false && r.refusal.reason).toBe('spend cap 300 tz per 24h: 300 tz spent, this request 10 tz');
    });

    it('windows roll: an amount counts for exactly its window after it was reserved (test clock)', async () => {
      expect((await reserve(200n, T0)).ok).toBe(true);
      expect((await reserve(1n, T0 + HOUR - 1)).ok).toBe(false); // 1 ms before the hour ends: still counted
      expect((await reserve(200n, T0 + HOUR)).ok).toBe(true); // the hour has passed
      const show = await ledger.show(KEY, CAPS, T0 + HOUR);
      expect(show).toEqual([
        { window: '1h', windowSeconds: 3600, cap: 200n * TZ, spent: 200n * TZ, reserved: 200n * TZ, left: 0n },
        { window: '24h', windowSeconds: 86_400, cap: 1000n * TZ, spent: 400n * TZ, reserved: 400n * TZ, left: 600n * TZ },
      ]);
      expect((await ledger.show(KEY, CAPS, T0 + 25 * HOUR - 1)).map((w) => w.spent)).toEqual([0n, 200n * TZ]);
      expect((await ledger.show(KEY, CAPS, T0 + 25 * HOUR)).map((w) => w.spent)).toEqual([0n, 0n]);
    });

    it('a signer with shorter caps (another replica, a reload) does not drop what a longer window still counts', async () => {
      // the 24h cap has counted this key: 300 tz over two hours
      expect((await reserve(150n, T0)).ok).toBe(true);
      expect((await reserve(150n, T0 + HOUR + 1)).ok).toBe(true);
      const hourOnly = [cap('1h', 3600, 200n)];
      expect((await reserve(10n, T0 + 2.5 * HOUR, hourOnly)).ok).toBe(true); // prunes by the longest window seen, not 1h
      expect((await ledger.show(KEY, CAPS, T0 + 3 * HOUR)).map((w) => w.spent)).toEqual([10n * TZ, 310n * TZ]);
    });

    it('an entry stamped ahead of this clock (another replica) counts', async () => {
      expect((await reserve(200n, T0 + 60_000)).ok).toBe(true);
      expect((await reserve(1n, T0)).ok).toBe(false);
    });

    it("a signer whose clock is more than a minute behind the key's newest entry refuses (what others spent would look older)", async () => {
      expect((await reserve(10n, T0 + 2 * 60_000)).ok).toBe(true);
      await expect(reserve(10n, T0)).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringContaining("spend ledger: this signer's clock is 120 s behind the newest reservation of"),
      });
      // within the tolerance it reserves, stamped at the newest time (never in the past)
      expect((await reserve(10n, T0 + 90_000)).ok).toBe(true);
      expect((await ledger.show(KEY, CAPS, T0 + 2 * 60_000 + HOUR - 1))[0]!.spent).toBe(20n * TZ);
    });

    it('release gives the reservation back; confirmed, it is never given back', async () => {
      const a = await reserve(150n, T0);
      const b = await reserve(50n, T0 + 1);
      if (!a.ok || !b.ok) throw new Error('reserve refused');
      expect((await reserve(1n, T0 + 2)).ok).toBe(false);
      expect(await ledger.release(a.reservation)).toBe(true);
      expect(await ledger.release(a.reservation)).toBe(false); // only once
      expect((await ledger.show(KEY, CAPS, T0 + 3))[0]).toMatchObject({ spent: 50n * TZ, reserved: 50n * TZ, left: 150n * TZ });
      await ledger.confirm(b.reservation);
      await ledger.confirm(b.reservation);
      expect((await ledger.show(KEY, CAPS, T0 + 3))[0]).toMatchObject({ spent: 50n * TZ, reserved: 0n });
      expect(await ledger.release(b.reservation)).toBe(false);
      expect((await ledger.show(KEY, CAPS, T0 + 3))[0]).toMatchObject({ spent: 50n * TZ });
      expect((await reserve(150n, T0 + 4)).ok).toBe(true);
    });

    it('reset clears one window and leaves the others; reset of every window clears the key', async () => {
      const signed = async (tez: bigint, now: number) => {
        const r = await reserve(tez, now);
        if (r.ok) await ledger.confirm(r.reservation);
        return r.ok;
      };
      expect(await signed(200n, T0)).toBe(true);
      await ledger.reset(KEY, 3600, T0 + 10);
      expect((await ledger.show(KEY, CAPS, T0 + 10)).map((w) => w.spent)).toEqual([0n, 200n * TZ]);
      expect(await signed(200n, T0 + 20)).toBe(true);
      expect((await reserve(1n, T0 + 30)).ok).toBe(false); // counts what came after the reset
      await ledger.reset(KEY, undefined, T0 + 40);
      expect((await ledger.show(KEY, CAPS, T0 + 40)).map((w) => w.spent)).toEqual([0n, 0n]);
    });

    it('a reservation whose clock reads before a reset (queued behind it, or a clock a little behind) counts in the window reset', async () => {
      const first = await reserve(100n, T0);
      if (!first.ok) throw new Error('reserve refused');
      await ledger.confirm(first.reservation);
      await ledger.reset(KEY, 3600, T0 + 20);
      const late = await reserve(150n, T0 + 10); // its clock read T0 + 10, it is written after the reset at T0 + 20
      if (!late.ok) throw new Error('reserve refused');
      await ledger.confirm(late.reservation);
      expect((await ledger.show(KEY, CAPS, T0 + 30))[0]!.spent).toBe(150n * TZ);
      expect((await reserve(51n, T0 + 15)).ok).toBe(false); // 150 + 51 > 200: the cap holds
      // a reset further ahead than the clock tolerance: this signer's clock is behind, it refuses
      await ledger.reset(KEY, 3600, T0 + 2 * 60_000);
      await expect(reserve(1n, T0 + 30)).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringContaining("spend ledger: this signer's clock is 120 s behind the newest reset of"),
      });
    });

    it('reset clears confirmed spend only: a reservation still being signed keeps counting, and counts once confirmed', async () => {
      const done = await reserve(100n, T0);
      const signing = await reserve(60n, T0 + 1); // a request still being signed when the operator resets
      const failing = await reserve(30n, T0 + 2); // one whose vault will fail
      if (!done.ok || !signing.ok || !failing.ok) throw new Error('reserve refused');
      await ledger.confirm(done.reservation);
      await ledger.reset(KEY, 3600, T0 + 10);
      expect((await ledger.show(KEY, CAPS, T0 + 10))[0]).toMatchObject({ spent: 90n * TZ, reserved: 90n * TZ });
      await ledger.confirm(signing.reservation);
      expect(await ledger.release(failing.reservation)).toBe(true);
      // the 60 tz signed after the reset still count in the hour: 140 tz are left, not 200
      expect((await ledger.show(KEY, CAPS, T0 + 20)).map((w) => [w.spent, w.reserved])).toEqual([
        [60n * TZ, 0n],
        [160n * TZ, 0n],
      ]);
      expect((await reserve(141n, T0 + 30)).ok).toBe(false);
      // a second reset clears them, now confirmed
      await ledger.reset(KEY, 3600, T0 + 40);
      expect((await ledger.show(KEY, CAPS, T0 + 40))[0]!.spent).toBe(0n);

      // every window: the same
      const pending = await reserve(70n, T0 + 50);
      if (!pending.ok) throw new Error('reserve refused');
      await ledger.reset(KEY, undefined, T0 + 60);
      expect((await ledger.show(KEY, CAPS, T0 + 60)).map((w) => [w.spent, w.reserved])).toEqual([
        [70n * TZ, 70n * TZ],
        [70n * TZ, 70n * TZ],
      ]);
      await ledger.confirm(pending.reservation);
      expect((await ledger.show(KEY, CAPS, T0 + 70)).map((w) => [w.spent, w.reserved])).toEqual([
        [70n * TZ, 0n],
        [70n * TZ, 0n],
      ]);
      // kept ones still leave with their window
      expect((await ledger.show(KEY, CAPS, T0 + 50 + HOUR)).map((w) => w.spent)).toEqual([0n, 70n * TZ]);
    });

    it('keeps keys apart; stores nothing for an amount of 0 or a key without caps', async () => {
      expect((await reserve(200n, T0)).ok).toBe(true);
      expect((await reserve(200n, T0, CAPS, OTHER_KEY)).ok).toBe(true);
      const zero = await reserve(0n, T0);
      expect(zero).toEqual({ ok: true, reservation: { key: KEY, id: '', amount: 0n, at: T0 } });
      expect((await reserve(5000n, T0, [], OTHER_KEY)).ok).toBe(true);
      expect((await ledger.show(OTHER_KEY, CAPS, T0)).map((w) => w.spent)).toEqual([200n * TZ, 200n * TZ]);
    });

    it('refuses a key that is not a key hash (it names a file or an item)', async () => {
      await expect(ledger.reserve('../../etc/passwd', TZ, CAPS, T0)).rejects.toMatchObject({
        code: 'bad_request',
        message: /is not a key hash/,
      });
      await expect(ledger.show('tz1nope', CAPS, T0)).rejects.toMatchObject({ code: 'bad_request' });
    });

    it('20 concurrent reservations whose sum exceeds the cap: the reserved total never exceeds it', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(30n, T0 + i)));
      expect(results.filter((r) => r.ok)).toHaveLength(6); // 6 × 30 = 180 ≤ 200 < 210
      expect((await ledger.show(KEY, CAPS, T0 + 100))[0]!.spent).toBe(180n * TZ);
    });

    if (factory.reopen !== undefined) {
      const reopen = factory.reopen;
      it('a restart (a new instance on the same storage) keeps the ledger', async () => {
        const a = await reserve(120n, T0);
        if (!a.ok) throw new Error('reserve refused');
        await ledger.confirm(a.reservation);
        const b = await reserve(30n, T0 + 1);
        await ledger.close();
        const again = await reopen(ledger);
        opened.push(again);
        expect((await again.show(KEY, CAPS, T0 + 2))[0]).toMatchObject({ spent: 150n * TZ, reserved: 30n * TZ });
        expect((await again.reserve(KEY, 51n * TZ, CAPS, T0 + 3)).ok).toBe(false);
        // a reservation made before the restart can be released after it
        if (!b.ok) throw new Error('reserve refused');
        expect(await again.release(b.reservation)).toBe(true);
        expect((await again.reserve(KEY, 80n * TZ, CAPS, T0 + 4)).ok).toBe(true);
      });

      it('three instances on one storage share one budget: 20 concurrent reservations never exceed the cap', async () => {
        const replicas = [ledger, await reopen(ledger), await reopen(ledger)];
        opened.push(...replicas.slice(1));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => replicas[i % 3]!.reserve(KEY, 30n * TZ + BigInt(i), CAPS, T0 + i)),
        );
        const total = results.reduce((sum, r) => (r.ok ? sum + r.reservation.amount : sum), 0n);
        expect(total).toBeLessThanOrEqual(200n * TZ);
        expect(results.filter((r) => r.ok)).toHaveLength(6); // linearized: a 7th would make 210 tz
        expect((await replicas[1]!.show(KEY, CAPS, T0 + 100))[0]!.spent).toBe(total);
        for (const r of results)
          if (!r.ok) expect(r.refusal.reason).toMatch(/^spend cap 200 tz per 1h: \d+(\.\d+)? tz spent, this request 30(\.\d+)? tz$/);
      });
    }
  });
}
