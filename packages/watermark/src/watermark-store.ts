import { SignatoryError, WATERMARK_KINDS, type Mark, type Slot } from '@signatory-ts/core';

/** A request about to be signed, as the watermark sees it: digest = blake2b-256 of its bytes. */
export type NextMark = Mark & { readonly digest: Uint8Array };

/**
 * A mark with the signature that was released for it: what a store commits. `signature` is
 * NO_SIGNATURE for a mark no signer released here (`signatory-cli watermark import`).
 */
export type SignedMark = NextMark & { readonly signature: string };

/**
 * The signature of a mark raised by an operator (`watermark import`): no signature was released
 * for it here, so there is nothing to hand back. A store commits it like any other mark (same
 * compare-and-set: it only ever raises), keeps no signature for it (or an empty one), and never
 * answers `replay` over it: an identical request at that level and round is `rejected`.
 */
export const NO_SIGNATURE = '';

const MAX_INT32 = 2 ** 31 - 1;

/**
 * Throws bad_request unless `next` can be stored: level and round int32 values >= 0, a 32-byte
 * digest, a known slot kind. Stores call it before comparing, so a bad mark never reaches storage.
 */
export function checkMark(slot: Slot, next: NextMark): void {
  const bad = (what: string) => {
    throw new SignatoryError('bad_request', `watermark: ${what}`);
  };
  if (!(WATERMARK_KINDS as readonly string[]).includes(slot.kind)) bad(`unknown slot kind ${JSON.stringify(slot.kind)}`);
  // int32 as in every Tezos payload: a larger mark (an import, say) could never be signed past and some stores cannot hold it
  if (!Number.isSafeInteger(next.level) || next.level < 0 || next.level > MAX_INT32)
    bad(`level must be an integer from 0 to ${MAX_INT32}, got ${next.level}`);
  if (!Number.isSafeInteger(next.round) || next.round < 0 || next.round > MAX_INT32)
    bad(`round must be an integer from 0 to ${MAX_INT32}, got ${next.round}`);
  if (!(next.digest instanceof Uint8Array) || next.digest.length !== 32) bad('digest must be 32 bytes (blake2b-256 of the request)');
}

/**
 * What a commit did:
 * - `committed`: `next` was strictly above the stored mark (or the slot was empty) and is now
 *   durably stored; release the signature;
 * - `replay`: the stored mark has the same (level, round) and the same digest, and a stored
 *   signature (never NO_SIGNATURE); release `signature` (the stored one) instead of the new one;
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
  /** Undefined while the store works; else why it does not (for the daemon's /healthz). */
  health?(): Promise<string | undefined>;
  close?(): Promise<void>;
}

/**
 * One storage operation of a store, for metrics (Go Signatory's `watermark_io_*`): `read` a
 * stored record, `write` over an existing one, `create` a new one; `error` is set when it failed
 * (an errno code such as `EACCES`, `corrupt` for an unreadable file, `lock` for a lost lock).
 */
export interface WatermarkIoEvent {
  readonly operation: 'read' | 'write' | 'create';
  readonly seconds: number;
  readonly error?: string;
  /** The store's name (`file`, `aws`, `postgres`); absent means `file`. */
  readonly backend?: string;
  /** The table (DynamoDB, PostgreSQL) the operation was on; absent for the file store. */
  readonly table?: string;
}

export type WatermarkIoObserver = (event: WatermarkIoEvent) => void;
