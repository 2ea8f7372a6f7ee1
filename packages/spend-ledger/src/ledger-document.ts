import { formatTez, type SpendCap } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';
import type { SpendRefusal, WindowUsage } from './spend-ledger';

/**
 * One key's ledger, as every store keeps it (a file, a DynamoDB item, a Map entry): the
 * reservations of the key's longest window, each with its time, and the windows reset by an
 * operator. Windows are exact: an amount counts in a window for exactly that long after it was
 * reserved, summed entry by entry (no time buckets), so "at the cap signs, one mutez over is
 * refused" holds at every instant. Only when a key gathers MAX_ENTRIES entries within its longest
 * window are its signed entries merged into time buckets (COMPACT_BUCKETS over the longest window,
 * a minute at least), each stamped with the latest time in it: they then count up to one bucket
 * longer than they should, never shorter.
 */
export interface LedgerDocument {
  entries: LedgerEntry[];
  /** windowSeconds → ms: that window counts only entries reserved after this time (`limits reset`), and those `kept`. */
  resets: Map<number, number>;
  /**
   * windowSeconds → ids of the reservations not yet confirmed when that window was reset: they keep
   * counting in it (a request still being signed, or one whose signer died after signing and before
   * confirming, may have released a signature). A reset clears confirmed spend only.
   */
  kept: Map<number, Set<string>>;
  /**
   * The longest window any signer has counted on this key, seconds: entries are kept that long, so a
   * replica (or a reloaded config) with shorter windows never drops what a longer one still counts.
   */
  retention: number;
}

export interface LedgerEntry {
  readonly id: string;
  /** When it was reserved, ms since the epoch (the reserving signer's clock). */
  readonly at: number;
  readonly amount: bigint;
  /** Confirmed: signed, never given back. */
  signed: boolean;
}

/** Entries one key may hold in its longest window (a DynamoDB item holds at most 400 KB; an entry takes about 50 bytes). */
export const MAX_ENTRIES = 4000;
/** Buckets over the longest window when compacting: the ledger then holds about this many signed entries. */
export const COMPACT_BUCKETS = 1000;
const MINUTE_MS = 60_000;

export const emptyDocument = (): LedgerDocument => ({ entries: [], resets: new Map(), kept: new Map(), retention: 0 });

/**
 * `{"v":1,"entries":[[id, at, "mutez", 0|1], …],"resets":{"3600": at}}`; with reservations a reset keeps
 * counting, `"v":2` and `"kept":{"3600": [id, …]}`: a signer of an earlier version (which reads only v1)
 * refuses such a document rather than rewrite it without them (fail closed during a rolling upgrade).
 */
export function formatDocument(doc: LedgerDocument): string {
  return JSON.stringify({
    v: doc.kept.size > 0 ? 2 : 1,
    entries: doc.entries.map((e) => [e.id, e.at, e.amount.toString(), e.signed ? 1 : 0]),
    resets: Object.fromEntries(doc.resets),
    ...(doc.kept.size > 0 ? { kept: Object.fromEntries([...doc.kept].map(([w, ids]) => [w, [...ids]])) } : {}),
    ...(doc.retention > 0 ? { retention: doc.retention } : {}),
  });
}

/** Reads a stored ledger; anything unexpected is an error naming `where` (fail closed: never read as empty). */
export function parseDocument(text: string, where: string): LedgerDocument {
  const broken = (why: string) =>
    new SignatoryError(
      'internal',
      `spend ledger ${where} is unreadable (${why}); nothing was signed. Restore it from a backup, or remove it to forget what the key spent (see docs/policy.md)`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw broken((e as Error).message);
  }
  const r = raw as { v?: unknown; entries?: unknown; resets?: unknown; kept?: unknown; retention?: unknown };
  if (typeof raw !== 'object' || raw === null || (r.v !== 1 && r.v !== 2)) throw broken('not a version 1 or 2 ledger');
  if (!Array.isArray(r.entries)) throw broken('no entries list');
  const entries = r.entries.map((e: unknown, i): LedgerEntry => {
    const [id, at, amount, signed] = Array.isArray(e) ? (e as unknown[]) : [];
    if (
      typeof id !== 'string' ||
      !Number.isSafeInteger(at) ||
      typeof amount !== 'string' ||
      !/^\d+$/.test(amount) ||
      (signed !== 0 && signed !== 1)
    ) {
      throw broken(`entry ${i} is malformed`);
    }
    return { id, at: at as number, amount: BigInt(amount), signed: signed === 1 };
  });
  if (typeof r.resets !== 'object' || r.resets === null || Array.isArray(r.resets)) throw broken('no resets map');
  const resets = new Map<number, number>();
  for (const [w, at] of Object.entries(r.resets)) {
    if (!/^\d+$/.test(w) || !Number.isSafeInteger(at)) throw broken(`reset of window ${w} is malformed`);
    resets.set(Number(w), at as number);
  }
  // absent when no window was reset with reservations pending (and in ledgers written before it was kept)
  const kept = new Map<number, Set<string>>();
  if (r.kept !== undefined) {
    if (typeof r.kept !== 'object' || r.kept === null || Array.isArray(r.kept)) throw broken('kept is malformed');
    for (const [w, ids] of Object.entries(r.kept)) {
      if (!resets.has(Number(w)) || !Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
        throw broken(`kept reservations of window ${w} are malformed`);
      }
      kept.set(Number(w), new Set(ids as string[]));
    }
  }
  // absent in ledgers written before it was kept: the caps of the next update set it
  if (r.retention !== undefined && !(Number.isSafeInteger(r.retention) && (r.retention as number) > 0))
    throw broken('retention is malformed');
  return { entries, resets, kept, retention: (r.retention as number | undefined) ?? 0 };
}

/**
 * What `windowSeconds` holds at `now`: entries reserved within it and after its reset (or kept by
 * the reset: not confirmed then), and the unconfirmed part.
 */
export function spentIn(doc: LedgerDocument, windowSeconds: number, now: number): { spent: bigint; reserved: bigint } {
  const start = now - windowSeconds * 1000;
  const resetAt = doc.resets.get(windowSeconds) ?? -Infinity;
  const kept = doc.kept.get(windowSeconds);
  let spent = 0n;
  let reserved = 0n;
  for (const e of doc.entries) {
    // an entry stamped after `now` (another replica's clock runs ahead) counts: the safe side
    if (e.at <= start || (e.at <= resetAt && kept?.has(e.id) !== true)) continue;
    spent += e.amount;
    if (!e.signed) reserved += e.amount;
  }
  return { spent, reserved };
}

export function usage(doc: LedgerDocument, caps: readonly SpendCap[], now: number): WindowUsage[] {
  return caps.map((c) => {
    const { spent, reserved } = spentIn(doc, c.windowSeconds, now);
    return {
      window: c.window,
      windowSeconds: c.windowSeconds,
      cap: c.amount,
      spent,
      reserved,
      left: spent >= c.amount ? 0n : c.amount - spent,
    };
  });
}

/** The first cap `amount` would exceed at `now`, or undefined when it fits under all of them. */
export function overCap(doc: LedgerDocument, amount: bigint, caps: readonly SpendCap[], now: number): SpendRefusal | undefined {
  for (const c of caps) {
    const { spent } = spentIn(doc, c.windowSeconds, now);
    if (spent + amount > c.amount) {
      return {
        window: c.window,
        windowSeconds: c.windowSeconds,
        cap: c.amount,
        spent,
        amount,
        reason: `spend cap ${formatTez(c.amount)} per ${c.window}: ${formatTez(spent)} spent, this request ${formatTez(amount)}`,
      };
    }
  }
  return undefined;
}

/**
 * Drops what no window can count any more: entries older than the longest window any signer has
 * counted on this key (`retention`: replicas and reloads may have different caps), and resets
 * older than their window. A window made longer later sees only what the shorter one kept.
 */
export function prune(doc: LedgerDocument, caps: readonly SpendCap[], now: number): void {
  doc.retention = Math.max(doc.retention, ...caps.map((c) => c.windowSeconds));
  const longest = doc.retention;
  doc.entries = doc.entries.filter((e) => e.at > now - longest * 1000);
  for (const [w, at] of doc.resets) if (at <= now - w * 1000) doc.resets.delete(w);
  forgetKept(doc);
  if (doc.entries.length >= MAX_ENTRIES) compact(doc, Math.max(MINUTE_MS, Math.ceil((longest * 1000) / COMPACT_BUCKETS)));
}

/** Drops kept ids whose entry is gone (released, pruned) or whose window's reset is. */
export function forgetKept(doc: LedgerDocument): void {
  if (doc.kept.size === 0) return;
  const ids = new Set(doc.entries.map((e) => e.id));
  for (const [w, kept] of doc.kept) {
    for (const id of kept) if (!ids.has(id)) kept.delete(id);
    if (kept.size === 0 || !doc.resets.has(w)) doc.kept.delete(w);
  }
}

/**
 * `limits reset` of one window (`windowSeconds`) or, undefined, of every window, at `now`: clears
 * the confirmed spend only. Reservations not confirmed yet keep counting where they counted.
 */
export function resetWindows(doc: LedgerDocument, windowSeconds: number | undefined, now: number): void {
  if (windowSeconds === undefined) {
    doc.entries = doc.entries.filter((e) => !e.signed);
    doc.resets.clear();
    doc.kept.clear();
    return;
  }
  const resetAt = doc.resets.get(windowSeconds);
  const kept = doc.kept.get(windowSeconds);
  const pending = doc.entries.filter(
    (e) => !e.signed && e.at > now - windowSeconds * 1000 && (resetAt === undefined || e.at > resetAt || kept?.has(e.id) === true),
  );
  doc.resets.set(windowSeconds, now);
  if (pending.length > 0) doc.kept.set(windowSeconds, new Set(pending.map((e) => e.id)));
  else doc.kept.delete(windowSeconds);
}

/** Merges signed entries per `bucketMs`, each group stamped with its latest time (counts as long or longer). */
function compact(doc: LedgerDocument, bucketMs: number): void {
  const merged = new Map<number, LedgerEntry>();
  const kept: LedgerEntry[] = [];
  // an entry a reset keeps counting is kept whole: merged, its id would be lost
  const keptIds = new Set([...doc.kept.values()].flatMap((ids) => [...ids]));
  for (const e of doc.entries) {
    if (!e.signed || keptIds.has(e.id)) {
      kept.push(e);
      continue;
    }
    const bucket = Math.floor(e.at / bucketMs);
    const m = merged.get(bucket);
    merged.set(bucket, m === undefined ? { ...e } : { id: m.id, at: Math.max(m.at, e.at), amount: m.amount + e.amount, signed: true });
  }
  doc.entries = [...kept, ...merged.values()].sort((a, b) => a.at - b.at);
}
