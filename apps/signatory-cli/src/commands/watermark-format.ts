import {
  b58Decode,
  b58Encode,
  CONSENSUS_KINDS,
  PKH_PREFIXES,
  SignatoryError,
  watermarkKind,
  type ConsensusKind,
  type Mark,
  type PrefixName,
  type Slot,
  type WatermarkKind,
} from '@signatory-ts/core';

/**
 * The `signatory-cli watermark export` file (docs/cli.md), version 1:
 *
 *   { "format": "signatory-ts/watermarks", "version": 1, "store": "file", "exported_at": "<ISO time>",
 *     "marks": [ { "chain": "Net…", "pkh": "tz…", "kind": "block", "level": N, "round": N, "digest": "vh…" | null } ] }
 *
 * `digest` is blake2b-256 of the signed request with the `vh` prefix (Go Signatory's `hash`), null
 * when the store does not know it. Signatures are not exported: an imported mark never hands one back.
 * A reader refuses another `format` or a higher `version`; fields it does not know inside a mark are ignored.
 */
export const EXPORT_FORMAT = 'signatory-ts/watermarks';
export const EXPORT_VERSION = 1;

export interface ExportedMark {
  readonly chain: string;
  readonly pkh: string;
  readonly kind: string;
  readonly level: number;
  readonly round: number;
  readonly digest: string | null;
}

export interface ExportFile {
  readonly format: typeof EXPORT_FORMAT;
  readonly version: typeof EXPORT_VERSION;
  readonly store: string;
  readonly exported_at: string;
  readonly marks: readonly ExportedMark[];
}

/** One mark to import: a valid slot, level and round, and the digest when it is known. */
export interface ImportEntry {
  readonly slot: Slot;
  readonly level: number;
  readonly round: number;
  readonly digest: Uint8Array | undefined;
  /** Where it came from, for messages (`marks[3]`, `NetXo5iVw1vBoxM.json`). */
  readonly from: string;
}

/** An entry of the source that cannot be imported, and why. */
export interface RefusedEntry {
  readonly from: string;
  readonly why: string;
}

export function formatExport(storeName: string, slots: readonly [Slot, Mark][], now: Date = new Date()): string {
  const marks: ExportedMark[] = [...slots]
    .sort(([a], [b]) => compare(a.chainId, b.chainId) || compare(a.pkh, b.pkh) || compare(a.kind, b.kind))
    .map(([s, m]) => ({
      chain: s.chainId,
      pkh: s.pkh,
      kind: s.kind,
      level: m.level,
      round: m.round,
      digest: m.digest === undefined ? null : b58Encode('vh', m.digest),
    }));
  const file: ExportFile = { format: EXPORT_FORMAT, version: EXPORT_VERSION, store: storeName, exported_at: now.toISOString(), marks };
  return JSON.stringify(file, null, 2) + '\n';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The marks of an export file. A file that is not an export file (other format, newer version, no
 * marks array) is refused whole; a bad mark in it is refused alone, with why.
 */
export function parseExport(text: string, file: string): { entries: ImportEntry[]; refused: RefusedEntry[] } {
  const bad = (why: string): never => {
    throw new SignatoryError('bad_request', `watermark import: ${file} ${why}`);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return bad(`is not JSON (${(e as Error).message})`);
  }
  if (!isObject(data) || data.format !== EXPORT_FORMAT) {
    return bad(`is not a watermark export file (expected "format": "${EXPORT_FORMAT}", written by signatory-cli watermark export)`);
  }
  if (data.version !== EXPORT_VERSION) {
    return bad(
      `has version ${JSON.stringify(data.version)}; this signatory-cli reads version ${EXPORT_VERSION}: use the signatory-cli that wrote it`,
    );
  }
  if (!Array.isArray(data.marks)) return bad('has no "marks" array');
  const entries: ImportEntry[] = [];
  const refused: RefusedEntry[] = [];
  data.marks.forEach((m: unknown, i: number) => {
    const from = `marks[${i}]`;
    try {
      if (!isObject(m)) throw new TypeError('must be an object with chain, pkh, kind, level, round and digest');
      const { chain, pkh, kind, level, round, digest } = m;
      const watermark = watermarkKindOf(kind, 'kind');
      if (digest !== null && typeof digest !== 'string') throw new TypeError('digest must be a vh… string or null');
      entries.push(
        checkEntry(
          { chainId: chain as string, pkh: pkh as string, kind: watermark },
          level,
          round,
          digest === null ? undefined : b58DecodeDigest(digest),
          from,
        ),
      );
    } catch (e) {
      refused.push({ from, why: (e as Error).message });
    }
  });
  return { entries, refused };
}

function b58DecodeDigest(text: string): Uint8Array {
  try {
    return b58Decode(text, ['vh']).payload;
  } catch (e) {
    throw new TypeError(`digest: ${(e as Error).message}`);
  }
}

/** The watermark kind of the consensus kind `kind`; a TypeError naming `what` and the kinds when it is none. */
export function watermarkKindOf(kind: unknown, what: string): WatermarkKind {
  if (typeof kind !== 'string' || !(CONSENSUS_KINDS as readonly string[]).includes(kind)) {
    throw new TypeError(`${what} must be one of ${CONSENSUS_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  return watermarkKind(kind as ConsensusKind);
}

/** Checks that `text` is base58check with one of `prefixes`; a TypeError naming `what` when it is not. */
export function checkBase58(text: string, prefixes: readonly PrefixName[], what: string): void {
  try {
    b58Decode(text, prefixes);
  } catch (e) {
    throw new TypeError(`${what}: ${(e as Error).message}`);
  }
}

/** Validates one mark read from any source (an export file, another store, Go Signatory's files); throws with why. */
export function checkEntry(slot: Slot, level: unknown, round: unknown, digest: Uint8Array | undefined, from: string): ImportEntry {
  for (const [what, text, prefixes] of [
    ['chain', slot.chainId, ['Net']],
    ['pkh', slot.pkh, PKH_PREFIXES],
  ] as const) {
    if (typeof text !== 'string') throw new TypeError(`${what} must be a string`);
    checkBase58(text, prefixes, `${what} ${JSON.stringify(text)}`);
  }
  for (const [what, v] of [
    ['level', level],
    ['round', round],
  ] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 2 ** 31 - 1) {
      throw new TypeError(`${what} must be an integer from 0 to 2147483647, got ${JSON.stringify(v)}`);
    }
  }
  if (digest !== undefined && digest.length !== 32) throw new TypeError('digest must be 32 bytes');
  return { slot: { ...slot }, level: level as number, round: round as number, digest, from };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
