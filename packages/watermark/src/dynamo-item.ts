import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { b58Decode, SignatoryError, type Mark, type Slot, type WatermarkKind } from '@signatory-ts/core';
import { NO_SIGNATURE, type SignedMark } from './watermark-store';

/**
 * Go Signatory's DynamoDB item, one per (chain, key, request kind):
 *
 *   idx S "<chain id>/<pkh>" (HASH) · request S "<request kind>" (RANGE) · lvl N · round N ·
 *   digest B (blake2b-256 of the request, 32 bytes; an S "vh…" is read too)
 *
 * plus our `signature` S (the signature released for that mark). Go reads and writes only the first
 * five, so it ignores ours, and items it writes have no signature (never replayed).
 */
export type Item = Record<string, AttributeValue>;

/** A decoded item. */
export interface StoredItem extends Mark {
  readonly request: string;
}

/**
 * The items a slot is kept in, in the fixed order a commit writes them. Go keys its marks by the
 * request kind, so our attestation slot is two of its items: a commit advances both, or a Go
 * instance sharing the table would still sign the other kind at that level and round.
 */
export const SLOT_ITEMS: Readonly<Record<WatermarkKind, readonly string[]>> = {
  block: ['block'],
  preattestation: ['preattestation'],
  attestation: ['attestation', 'attestation_with_dal'],
};

/** The slot kind a stored `request` belongs to; undefined for kinds this signer never writes. */
export function slotKindOf(request: string): WatermarkKind | undefined {
  return (Object.keys(SLOT_ITEMS) as WatermarkKind[]).find((k) => SLOT_ITEMS[k].includes(request));
}

/** Go stores level and round as int32. */
export const MAX_INT32 = 2 ** 31 - 1;

export function itemKey(slot: Slot, request: string): Item {
  return { idx: { S: `${slot.chainId}/${slot.pkh}` }, request: { S: request } };
}

/** Chain id and key hash back from `idx` (`<chain>/<pkh>`); undefined if it is not that shape. */
export function parseIdx(idx: string): { chainId: string; pkh: string } | undefined {
  const m = /^(Net[1-9A-HJ-NP-Za-km-z]+)\/(tz[1-4][1-9A-HJ-NP-Za-km-z]+)$/.exec(idx);
  return m ? { chainId: m[1]!, pkh: m[2]! } : undefined;
}

/**
 * The whole item a commit writes: Go's attributes exactly as Go writes them, and our signature. A
 * mark with no released signature (NO_SIGNATURE: an imported one) is written as Go writes it.
 */
export function encodeItem(slot: Slot, request: string, mark: SignedMark): Item {
  return {
    ...itemKey(slot, request),
    lvl: { N: String(mark.level) },
    round: { N: String(mark.round) },
    digest: { B: mark.digest },
    ...(mark.signature !== NO_SIGNATURE ? { signature: { S: mark.signature } } : {}),
  };
}

/**
 * Decodes an item strictly: a `lvl` or `round` that is not a non-negative int32 number, or a digest
 * that is not 32 bytes, is a corrupt item (an error naming it), never read as "no mark".
 */
export function decodeItem(item: Item, table: string): StoredItem {
  const where = `DynamoDB table "${table}", item ${item.idx?.S ?? '?'} / ${item.request?.S ?? '?'}`;
  const corrupt = (what: string): never => {
    throw new SignatoryError('internal', `watermark store: ${where}: ${what}; nothing is signed for this slot until it is fixed`);
  };
  const request = item.request?.S ?? corrupt('no request attribute');
  const int = (name: 'lvl' | 'round'): number => {
    const v = item[name];
    if (v?.N === undefined) return corrupt(`${name} must be a number (N), got ${v === undefined ? 'nothing' : Object.keys(v).join()}`);
    if (!/^(0|[1-9][0-9]*)$/.test(v.N) || Number(v.N) > MAX_INT32) return corrupt(`${name} ${v.N} is not a non-negative int32`);
    return Number(v.N);
  };
  const level = int('lvl');
  const round = int('round');
  let digest: Uint8Array | undefined;
  const d = item.digest;
  if (d?.B !== undefined) {
    if (d.B.length !== 32) corrupt(`digest must be 32 bytes, got ${d.B.length}`);
    digest = d.B;
  } else if (d?.S !== undefined) {
    try {
      digest = b58Decode(d.S, ['vh']).payload;
    } catch (e) {
      corrupt(`digest: ${(e as Error).message}`);
    }
  } else if (d !== undefined && d.NULL !== true) {
    corrupt(`digest must be 32 bytes (B) or a vh… string, got ${Object.keys(d).join()}`);
  }
  // an empty signature is none (never replayed), whoever wrote it
  const signature = item.signature?.S || undefined;
  return {
    request,
    level,
    round,
    ...(digest !== undefined ? { digest } : {}),
    ...(signature !== undefined ? { signature } : {}),
  };
}

const above = (a: Mark, b: Mark) => a.level > b.level || (a.level === b.level && a.round > b.round);
const sameMark = (a: Mark, b: Mark) =>
  a.level === b.level &&
  a.round === b.round &&
  a.digest !== undefined &&
  b.digest !== undefined &&
  Buffer.compare(a.digest, b.digest) === 0;

/** True when `item` holds exactly `mark` with a signature (the same signature, if `mark` has one). */
export function holds(item: StoredItem | undefined, mark: Mark): item is StoredItem & { signature: string } {
  return (
    item !== undefined &&
    item.signature !== undefined &&
    sameMark(item, mark) &&
    (mark.signature === undefined || item.signature === mark.signature)
  );
}

/**
 * A slot's mark from its items (in SLOT_ITEMS order; undefined = absent): the highest (level,
 * round) among them. It carries the signature, which makes an identical request a replay, only
 * when EVERY item of the slot holds that same mark and signature (the replay rule): a Go-written
 * item or one at another digest makes the slot unreplayable at that level and round.
 */
export function slotMark(items: readonly (StoredItem | undefined)[]): Mark | undefined {
  let top: StoredItem | undefined;
  for (const it of items) if (it !== undefined && (top === undefined || above(it, top))) top = it;
  if (top === undefined) return undefined;
  const whole = top.signature !== undefined && items.every((it) => holds(it, top));
  return {
    level: top.level,
    round: top.round,
    ...(top.digest !== undefined ? { digest: top.digest } : {}),
    ...(whole ? { signature: top.signature } : {}),
  };
}

/**
 * Whether a later item of a slot is above its first one (or the first is absent). A commit writes the first item first:
 * read side by side, the items can show a commit whose first item was read before it was written, a state that never
 * existed (or items Go Signatory wrote one kind at a time). Read the first item again then: it is at least as new.
 */
export function firstItemBehind(items: readonly (StoredItem | undefined)[]): boolean {
  const first = items[0];
  return items.slice(1).some((it) => it !== undefined && (first === undefined || above(it, first)));
}

/**
 * Whether a slot is half-written in a way a reader may finish: its first item holds the slot's
 * highest mark with a signature, strictly above every later item that differs (a writer crashed,
 * or is still writing, between its puts). The later items are then rolled forward to that mark
 * with the same conditional put; any other shape is left alone.
 */
export function rollForwardMark(items: readonly (StoredItem | undefined)[]): SignedMark | undefined {
  const first = items[0];
  if (first?.signature === undefined || first.digest === undefined) return undefined;
  const rest = items.slice(1);
  if (rest.every((it) => holds(it, first))) return undefined; // whole already
  if (!rest.every((it) => it === undefined || holds(it, first) || above(first, it))) return undefined;
  return { level: first.level, round: first.round, digest: first.digest, signature: first.signature };
}
