import type { Mark, Slot } from '@signatory-ts/core';

/** A mark with the signature that was released for it: what a store keeps. */
export type SignedMark = Mark & { readonly signature: string };

/**
 * What a commit did:
 * - `committed`: `next` was strictly above the stored mark (or the slot was empty) and is now
 *   durably stored; release the signature;
 * - `replay`: the stored mark has the same (level, round) and the same digest; release
 *   `signature` (the stored one) instead of the new one;
 * - `rejected`: the stored mark is at or above `next`; release nothing.
 */
export type CommitResult =
  | { readonly status: 'committed' }
  | { readonly status: 'replay'; readonly signature: string }
  | { readonly status: 'rejected'; readonly stored: Mark };

/**
 * Where high watermarks live. `commit` is a compare-and-set: it compares `next` with the stored
 * mark (core's compareWatermark) and stores it only on `advance`, atomically with respect to
 * every other commit on the same slot — in this process and, for stores that say so, in other
 * processes. When `commit` resolves `committed`, the mark is durable. A watermark never goes
 * down: only `reset` (an operator's explicit act) removes a mark.
 *
 * Errors (unreadable or corrupt storage) are thrown, never reported as `rejected`, and never
 * repaired by resetting: the caller must release nothing.
 */
export interface WatermarkStore {
  /** Short name for logs and metrics (`file`, `mem`). */
  readonly name: string;
  get(slot: Slot): Promise<Mark | undefined>;
  commit(slot: Slot, next: SignedMark): Promise<CommitResult>;
  /** Every stored slot with its mark (for `signatory-cli watermark show`). */
  list?(): AsyncIterable<[Slot, Mark]>;
  /** Removes the mark of one exact slot; true if there was one. The CLI demands --force. */
  reset?(slot: Slot): Promise<boolean>;
  close?(): Promise<void>;
}
