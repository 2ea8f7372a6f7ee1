import { slotKey, type Slot } from '@signatory-ts/core';

const tails = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding this process's lock on `slot`: calls for one slot run one after another
 * in arrival order, calls for different slots run concurrently. In-process only; a store that is
 * shared between processes takes its own cross-process lock inside `commit`.
 */
export async function withSlotLock<T>(slot: Slot, fn: () => Promise<T>): Promise<T> {
  const key = slotKey(slot);
  const before = tails.get(key) ?? Promise.resolve();
  const run = before.then(fn, fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** Number of slots with a holder or waiters (for tests: the map must not grow without bound). */
export function lockedSlotCount(): number {
  return tails.size;
}
