import type { SpendCap } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';

/**
 * What a key has spent over time, shared by every signer on one store, so `limits.spend` caps
 * hold across replicas (docs/policy.md). The signer reserves a request's amount before the vault
 * signs, confirms it after, and releases it when nothing was signed (vault failure, watermark
 * refusal). A reservation counts in every window from the moment it is made until it is released,
 * so a signer killed between reserve and confirm leaves it counted: the safe side.
 *
 * Every method throws when the store cannot be read or written (a SignatoryError naming the store
 * and the cause): the caller refuses to sign. Time is the caller's `now` (ms since the epoch), so
 * tests use a test clock.
 */
export interface SpendLedger {
  /** `mem`, `file` or `aws`: the store it keeps entries in. */
  readonly name: string;
  /**
   * Atomically: when `amount` fits under every cap (what each window already holds plus `amount`
   * is at most the cap), records it and returns the reservation; otherwise records nothing and
   * names the first cap, in `caps` order, it would exceed. Nothing is stored for an amount of 0
   * or a key without caps.
   */
  reserve(key: string, amount: bigint, caps: readonly SpendCap[], now: number): Promise<ReserveResult>;
  /** Marks the reservation as signed: it can no longer be released. Harmless to repeat. */
  confirm(reservation: Reservation): Promise<void>;
  /**
   * Gives the reservation back (nothing was signed). False when there was nothing to give back:
   * already confirmed (a signed operation is never given back), released, pruned or reset.
   */
  release(reservation: Reservation): Promise<boolean>;
  /** What each window of `caps` holds now and what is left. */
  show(key: string, caps: readonly SpendCap[], now: number): Promise<WindowUsage[]>;
  /**
   * Clears the confirmed spend of one window (`windowSeconds`): from `now` on it counts what is
   * reserved after `now`, and the reservations not confirmed at `now` (requests still being signed,
   * or left by a signer that died: each may be a signature that left); the other windows keep
   * counting as before. Undefined clears the confirmed spend of every window of the key.
   */
  reset(key: string, windowSeconds: number | undefined, now: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A store wrote a change (every signer on it now sees it) but could not make it durable: a power
 * loss may undo it. The file ledger throws it when the directory fsync after the rename fails.
 */
export class SpendNotDurableError extends SignatoryError {}

/**
 * A write got no answer (a DynamoDB PutItem timed out or its connection was lost, a PostgreSQL COMMIT
 * whose connection was lost): the store may have applied it all the same.
 */
export class SpendOutcomeUnknownError extends SignatoryError {}

/** An amount held against a key's caps since `at`. */
export interface Reservation {
  readonly key: string;
  /** Empty when nothing was stored (amount 0, or no caps). */
  readonly id: string;
  readonly amount: bigint;
  readonly at: number;
}

/** Why a request does not fit: the first cap it would exceed. */
export interface SpendRefusal {
  readonly window: string;
  readonly windowSeconds: number;
  readonly cap: bigint;
  /** What the window holds already (confirmed and reserved). */
  readonly spent: bigint;
  /** The request's amount. */
  readonly amount: bigint;
  /** `spend cap 200 tz per 1h: 150 tz spent, this request 60 tz` */
  readonly reason: string;
}

/**
 * `windows`: what each window of the caps holds once the reservation is made (or, refused, as it
 * stands): the signer's gauges, with no second read. Absent when nothing was stored or read (amount 0, no caps).
 */
export type ReserveResult =
  | { readonly ok: true; readonly reservation: Reservation; readonly windows?: readonly WindowUsage[] }
  | { readonly ok: false; readonly refusal: SpendRefusal; readonly windows?: readonly WindowUsage[] };

/** One window of a key, as `show` reports it. */
export interface WindowUsage {
  readonly window: string;
  readonly windowSeconds: number;
  readonly cap: bigint;
  /** Counted in the window now: confirmed and reserved. */
  readonly spent: bigint;
  /** The part of `spent` reserved and not confirmed yet (signing, or its signer died before confirming). */
  readonly reserved: bigint;
  /** cap − spent, at least 0. */
  readonly left: bigint;
}
