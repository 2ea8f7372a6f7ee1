import { b58Encode, blake2b256, watermarkSlot, type Mark, type Slot } from '@signatory-ts/core';
import { NO_SIGNATURE, signWithWatermark, type SignedMark, type WatermarkStore } from '../src';

/**
 * The behaviour every WatermarkStore must have. Each store's test file calls this with a factory
 * that returns a fresh, empty store (and may clean up in `close`).
 */
export function describeWatermarkStore(name: string, factory: () => Promise<WatermarkStore>): void {
  const CHAIN = 'NetXo5iVw1vBoxM';
  const OTHER_CHAIN = 'NetXdQprcVkpaWU';
  const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
  const OTHER_PKH = b58Encode('tz1', new Uint8Array(20).fill(7));
  const block = watermarkSlot(CHAIN, PKH, 'block');
  let seq = 0;
  const digest = (tag: string) => blake2b256(new TextEncoder().encode(tag));
  const mark = (level: number, round: number, tag = `${level}/${round}`, signature = `sig${++seq}`): SignedMark => ({
    level,
    round,
    digest: digest(tag),
    signature,
  });

  describe(`${name} (watermark store conformance)`, () => {
    let store: WatermarkStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close?.();
    });

    it('has no mark for a slot never written', async () => {
      expect(await store.get(block)).toBeUndefined();
    });

    it('commits the first request for a slot and returns it from get', async () => {
      const m = mark(10, 0);
      expect(await store.commit(block, m)).toEqual({ status: 'committed' });
      const got = await store.get(block);
      expect(got).toMatchObject({ level: 10, round: 0, signature: m.signature });
      expect(Buffer.from(got!.digest!)).toEqual(Buffer.from(m.digest!));
    });

    it('advances to a higher round and then to a higher level', async () => {
      await store.commit(block, mark(10, 0));
      expect(await store.commit(block, mark(10, 1))).toEqual({ status: 'committed' });
      expect(await store.commit(block, mark(11, 0))).toEqual({ status: 'committed' });
      expect(await store.get(block)).toMatchObject({ level: 11, round: 0 });
    });

    it('replays the stored signature for identical bytes at the stored level and round', async () => {
      await store.commit(block, mark(10, 2, 'same', 'first-signature'));
      const r = await store.commit(block, mark(10, 2, 'same', 'second-signature'));
      expect(r).toEqual({ status: 'replay', signature: 'first-signature' });
      expect(await store.get(block)).toMatchObject({ signature: 'first-signature' });
    });

    it.each([
      ['a lower level', 9, 5],
      ['a lower round at the same level', 10, 1],
      ['different bytes at the same level and round', 10, 2],
    ])('rejects %s and keeps the stored mark', async (_what, level, round) => {
      await store.commit(block, mark(10, 2, 'stored', 'stored-signature'));
      const r = await store.commit(block, mark(level, round, 'other'));
      expect(r.status).toBe('rejected');
      expect(r.status === 'rejected' && r.stored).toMatchObject({ level: 10, round: 2, signature: 'stored-signature' });
      expect(await store.get(block)).toMatchObject({ level: 10, round: 2, signature: 'stored-signature' });
    });

    it('keeps slots of other keys, chains and kinds independent', async () => {
      await store.commit(block, mark(100, 0));
      const others: Slot[] = [
        watermarkSlot(CHAIN, OTHER_PKH, 'block'),
        watermarkSlot(OTHER_CHAIN, PKH, 'block'),
        watermarkSlot(CHAIN, PKH, 'preattestation'),
        watermarkSlot(CHAIN, PKH, 'attestation'),
      ];
      for (const s of others) expect(await store.commit(s, mark(5, 0))).toEqual({ status: 'committed' });
      expect(await store.get(block)).toMatchObject({ level: 100 });
      for (const s of others) expect(await store.get(s)).toMatchObject({ level: 5 });
    });

    it('never replays a mark committed without a signature (watermark import): an identical request is refused', async () => {
      const imported = { level: 60, round: 1, digest: digest('imported'), signature: NO_SIGNATURE };
      expect(await store.commit(block, imported)).toEqual({ status: 'committed' });
      expect(await store.get(block)).toMatchObject({ level: 60, round: 1 });
      expect((await store.commit(block, mark(60, 1, 'imported'))).status).toBe('rejected');
      let calls = 0;
      const r = await signWithWatermark(store, block, { level: 60, round: 1, digest: digest('imported') }, async () => `s${++calls}`);
      expect(r.status).toBe('rejected');
      expect(calls).toBe(0);
      // a higher round is signed as usual
      expect(await store.commit(block, mark(60, 2))).toEqual({ status: 'committed' });
    });

    it('puts attestation and attestation_with_dal in one slot: the second, different one is rejected', async () => {
      const att = watermarkSlot(CHAIN, PKH, 'attestation');
      const dal = watermarkSlot(CHAIN, PKH, 'attestation_with_dal');
      expect(await store.commit(att, mark(50, 0, 'plain'))).toEqual({ status: 'committed' });
      expect((await store.commit(dal, mark(50, 0, 'with-dal'))).status).toBe('rejected');
      expect(await store.get(dal)).toMatchObject({ level: 50, round: 0 });
    });

    it('lists every stored slot and resets exactly one', async () => {
      const pre = watermarkSlot(CHAIN, PKH, 'preattestation');
      await store.commit(block, mark(7, 0));
      await store.commit(pre, mark(8, 1));
      if (!store.list || !store.reset) return;
      const listed: [Slot, Mark][] = [];
      for await (const e of store.list()) listed.push(e);
      expect(listed.map(([s, m]) => [s.chainId, s.pkh, s.kind, m.level, m.round]).sort()).toEqual(
        [
          [CHAIN, PKH, 'block', 7, 0],
          [CHAIN, PKH, 'preattestation', 8, 1],
        ].sort(),
      );
      expect(await store.reset(block)).toBe(true);
      expect(await store.reset(block)).toBe(false);
      expect(await store.get(block)).toBeUndefined();
      expect(await store.get(pre)).toMatchObject({ level: 8 });
    });

    it('lets exactly one of 50 concurrent commits with different bytes at one level and round through', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.commit(block, mark(20, 0, `c${i}`, `s${i}`))));
      const committed = results.flatMap((r, i) => (r.status === 'committed' ? [i] : []));
      expect(committed).toHaveLength(1);
      expect(await store.get(block)).toMatchObject({ signature: `s${committed[0]}` });
    });

    it('releases exactly one signature to 50 concurrent conflicting signing requests', async () => {
      let calls = 0;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          signWithWatermark(store, block, { level: 30, round: 1, digest: digest(`r${i}`) }, async () => `sig-${i}-${++calls}`),
        ),
      );
      const released = results.flatMap((r) => (r.status === 'rejected' ? [] : [r.signature]));
      expect(released).toHaveLength(1);
      expect(calls).toBe(1);
    });

    it('gives 50 concurrent identical signing requests the same signature, signing once', async () => {
      let calls = 0;
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          signWithWatermark(store, block, { level: 31, round: 0, digest: digest('identical') }, async () => `sig-${++calls}`),
        ),
      );
      expect(calls).toBe(1);
      expect(new Set(results.map((r) => (r.status === 'rejected' ? 'rejected' : r.signature)))).toEqual(new Set(['sig-1']));
    });

    it.each([
      ['a negative level', { level: -1, round: 0 }],
      ['a fractional round', { level: 5, round: 0.5 }],
      ['a level above int32 (no Tezos payload has one; an import could)', { level: 2 ** 31, round: 0 }],
      ['a short digest', { level: 5, round: 0, digest: new Uint8Array(31) }],
    ])('refuses to store %s (bad_request) and keeps the slot as it was', async (_what, bad) => {
      await store.commit(block, mark(4, 0));
      const next = { ...mark(5, 0), ...bad };
      await expect(store.commit(block, next)).rejects.toMatchObject({ code: 'bad_request' });
      await expect(signWithWatermark(store, block, next, async () => 'never')).rejects.toMatchObject({ code: 'bad_request' });
      expect(await store.get(block)).toMatchObject({ level: 4, round: 0 });
    });

    it('moves nothing when signing fails, so the same request can be signed afterwards', async () => {
      await store.commit(block, mark(40, 0));
      const next = { level: 41, round: 0, digest: digest('after-failure') };
      await expect(
        signWithWatermark(store, block, next, async () => {
          throw new Error('KMS unavailable');
        }),
      ).rejects.toThrow('KMS unavailable');
      expect(await store.get(block)).toMatchObject({ level: 40 });
      expect(await signWithWatermark(store, block, next, async () => 'retry-signature')).toEqual({
        status: 'signed',
        signature: 'retry-signature',
      });
    });
  });
}
