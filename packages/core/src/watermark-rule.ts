import { equalBytes } from './bytes';
import type { ConsensusKind } from './kinds';

/**
 * The high watermark rule, pure: which consensus requests may be signed given the last one signed
 * for the same slot. Stores (packages/watermark) persist marks; this file decides.
 */

/** One signed (or about to be signed) consensus request, as the watermark sees it. */
export interface Mark {
  readonly level: number;
  readonly round: number;
  /**
   * blake2b-256 of the whole request bytes, magic byte included (Go Signatory's `hash`, shown
   * with the `vh` prefix in files). Undefined only for a stored mark whose file had `hash: null`.
   */
  readonly digest?: Uint8Array;
  /**
   * The signature released for this request (b58, e.g. `p2sig…`). Absent (or empty) when no signer
   * released one that is known here: marks Go Signatory wrote, marks raised by `watermark import`.
   */
  readonly signature?: string;
}

/**
 * The slot kinds. `attestation_with_dal` shares the `attestation` slot: both are attestations of
 * the same block at the same (level, round), and the protocol denounces two different attestations
 * by one delegate at one (level, round) as double attesting, whichever of the two forms they take.
 * Go Signatory keys by the request kind string, so there an attestation and an attestation_with_dal
 * at the same level and round do not block each other, and it would sign both.
 */
export const WATERMARK_KINDS = ['block', 'preattestation', 'attestation'] as const;
export type WatermarkKind = (typeof WATERMARK_KINDS)[number];

/** Where a mark is kept: one per (chain, signing key, slot kind). */
export interface Slot {
  /** Base58 chain id (`Net…`). */
  readonly chainId: string;
  /** Signing key hash (`tz1…`..`tz4…`). */
  readonly pkh: string;
  readonly kind: WatermarkKind;
}

/** The slot kind a consensus request kind is watermarked under. */
export function watermarkKind(kind: ConsensusKind): WatermarkKind {
  return kind === 'attestation_with_dal' ? 'attestation' : kind;
}

/** The slot a consensus request to `pkh` on `chainId` is watermarked in. */
export function watermarkSlot(chainId: string, pkh: string, kind: ConsensusKind): Slot {
  return { chainId, pkh, kind: watermarkKind(kind) };
}

/** A stable string for a slot (map keys, lock names, logs). */
export function slotKey(slot: Slot): string {
  return `${slot.chainId}/${slot.pkh}/${slot.kind}`;
}

export type WatermarkVerdict = 'advance' | 'replay' | 'reject';

/**
 * - no stored mark: `advance` (first request for the slot);
 * - (level, round) strictly greater than the stored one, level first: `advance`;
 * - same level and round, same digest, and a stored signature: `replay` (hand back
 *   `stored.signature`, never sign again: a KMS ECDSA signature is randomized, so re-signing would
 *   release a second, different signature for the same block or attestation);
 * - anything else: `reject` — lower, or equal with different bytes, or equal bytes whose
 *   signature was not kept (a mark Go Signatory wrote, or one `watermark import` raised: its
 *   signature is absent or empty, and there is nothing to hand back).
 */
export function compareWatermark(stored: Mark | undefined, next: Mark): WatermarkVerdict {
  if (stored === undefined) return 'advance';
  if (next.level > stored.level) return 'advance';
  if (next.level === stored.level) {
    if (next.round > stored.round) return 'advance';
    if (
      next.round === stored.round &&
      stored.digest !== undefined &&
      next.digest !== undefined &&
      stored.signature !== undefined &&
      stored.signature !== '' &&
      equalBytes(stored.digest, next.digest)
    ) {
      return 'replay';
    }
  }
  return 'reject';
}
