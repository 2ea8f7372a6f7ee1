import { slotKey, type Slot } from '@signatory-ts/core';

/**
 * An in-process mutex per string key: calls for one key run one after another in arrival order,
 * calls for different keys run concurrently. Entries are dropped when their queue drains.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a holder or waiters. */
  get size(): number {
    return this.tails.size;
  }
}

const slotLocks = new KeyedLock();

/**
 * Runs `fn` while holding this process's lock on `slot`. In-process only; a store shared between
 * processes takes its own cross-process lock inside `commit`.
 */
export function withSlotLock<T>(slot: Slot, fn: () => Promise<T>): Promise<T> {
  return slotLocks.run(slotKey(slot), fn);
}

/** Number of slots with a holder or waiters (the lock table must drain when idle). */
export function lockedSlotCount(): number {
  return slotLocks.size;
}
