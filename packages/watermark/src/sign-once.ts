import { compareWatermark, type Mark, type Slot } from '@signatory-ts/core';
import { withSlotLock } from './slot-lock';
import { checkMark, type NextMark, type WatermarkStore } from './watermark-store';

export type GuardedSignResult =
  | { readonly status: 'signed'; readonly signature: string }
  | { readonly status: 'replay'; readonly signature: string }
  | { readonly status: 'rejected'; readonly stored: Mark };

/**
 * The watermark half of the signing pipeline: lock the slot, check, sign, persist, release.
 *
 * 1. lock: this process's lock on `slot` (withSlotLock), so concurrent requests queue;
 * 2. check: compareWatermark(store.get(slot), next): `reject` returns at once, `replay` returns the
 *    stored signature — `sign` is not called in either case;
 * 3. sign: `sign()` (the vault call). If it throws, the error propagates and nothing was stored:
 *    a failed KMS call burns no level;
 * 4. persist: store.commit(slot, {...next, signature}), a durable compare-and-set that compares
 *    again (another process may have moved the slot since step 2);
 * 5. release: the caller returns `signature` only for `signed` and `replay`. A signature made in
 *    step 3 and then refused in step 4 is dropped, never released.
 */
export async function signWithWatermark(
  store: WatermarkStore,
  slot: Slot,
  next: NextMark,
  sign: () => Promise<string>,
): Promise<GuardedSignResult> {
  checkMark(slot, next);
  return withSlotLock(slot, async () => {
    const stored = await store.get(slot);
    const verdict = compareWatermark(stored, next);
    if (verdict === 'reject') return { status: 'rejected', stored: stored! };
    if (verdict === 'replay') return { status: 'replay', signature: stored!.signature! };
    const signature = await sign();
    const r = await store.commit(slot, { level: next.level, round: next.round, digest: next.digest, signature });
    if (r.status === 'committed') return { status: 'signed', signature };
    // a store must never replay a mark that has no signature (an imported one); if one did, refuse
    if (r.status === 'replay' && !r.signature) return { status: 'rejected', stored: { level: next.level, round: next.round } };
    return r;
  });
}
