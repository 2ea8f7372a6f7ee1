import { b58Decode, b58Encode, SignatoryError, type Mark, type WatermarkKind } from '@signatory-ts/core';
import { findDuplicateKey } from './duplicate-keys';

/**
 * The per-chain watermark file, in Go Signatory's `watermark_v2` layout so either signer can read
 * the other's files:
 *
 *   { "<pkh>": { "<kind>": { "level": N, "round": N, "hash": "vh…" | null, "signature": "…" } } }
 *
 * `signature` is ours (Go Signatory ignores unknown fields). Keys are sorted and indented with four
 * spaces, as Go Signatory writes them. Entries for kinds this signer does not use are kept as read.
 */

/** The file is not what a watermark file must be. Nothing may be signed until an operator looks. */
export class WatermarkFileError extends SignatoryError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(
      'internal',
      `watermark file ${file} is unreadable: ${problem}. Nothing was signed. ` +
        'Restore the file from a backup or repair it by hand; the signer never resets a watermark on its own',
    );
  }
}

interface Entry {
  level: number;
  round: number;
  hash: string | null;
  signature?: string;
}

/** pkh → kind name → entry. */
export type ChainMarks = Record<string, Record<string, Entry>>;

/**
 * Names a slot kind is stored under, its own first. `attestation_with_dal` is Go Signatory's
 * separate slot for DAL attestations; `endorsement`/`preendorsement` are the names a v0/v1
 * migration left behind. Reading takes the highest mark among them, so none of them is ever
 * a way around the watermark.
 */
const STORED_NAMES: Record<WatermarkKind, readonly string[]> = {
  block: ['block'],
  preattestation: ['preattestation', 'preendorsement'],
  attestation: ['attestation', 'attestation_with_dal', 'endorsement'],
};

/** The slot kind an entry name is read as, or undefined for names no slot reads. */
export function slotKindOf(name: string): WatermarkKind | undefined {
  for (const [kind, names] of Object.entries(STORED_NAMES)) if (names.includes(name)) return kind as WatermarkKind;
  return undefined;
}

export function parseChainMarks(text: string, file: string): ChainMarks {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new WatermarkFileError(file, text.length === 0 ? 'the file is empty' : `not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(data)) throw new WatermarkFileError(file, 'the top level must be an object of key hashes');
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    const where = duplicate.where === '' ? 'at the top level' : `in ${duplicate.where}`;
    throw new WatermarkFileError(
      file,
      `key ${JSON.stringify(duplicate.key)} appears twice ${where} (which one holds the mark cannot be known)`,
    );
  }
  const out: ChainMarks = {};
  for (const [pkh, kinds] of Object.entries(data)) {
    if (pkh === '__proto__') throw new WatermarkFileError(file, 'unexpected key __proto__');
    if (!isObject(kinds)) throw new WatermarkFileError(file, `${pkh}: must be an object of request kinds`);
    const entries: Record<string, Entry> = {};
    for (const [kind, e] of Object.entries(kinds)) {
      if (kind === '__proto__') throw new WatermarkFileError(file, `${pkh}: unexpected key __proto__`);
      entries[kind] = parseEntry(e, `${pkh}.${kind}`, file);
    }
    out[pkh] = entries;
  }
  return out;
}

function parseEntry(e: unknown, where: string, file: string): Entry {
  if (!isObject(e)) throw new WatermarkFileError(file, `${where}: must be an object with level, round and hash`);
  const { level, round, hash, signature } = e;
  for (const [name, v] of [
    ['level', level],
    ['round', round],
  ] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new WatermarkFileError(file, `${where}.${name}: must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
  }
  if (hash !== null && hash !== undefined) {
    if (typeof hash !== 'string') throw new WatermarkFileError(file, `${where}.hash: must be a vh… string or null`);
    try {
      decodeHash(hash);
    } catch (err) {
      throw new WatermarkFileError(file, `${where}.hash: ${(err as Error).message}`);
    }
  }
  if (signature !== undefined && typeof signature !== 'string') {
    throw new WatermarkFileError(file, `${where}.signature: must be a string`);
  }
  const out: Entry = { level: level as number, round: round as number, hash: (hash as string | null | undefined) ?? null };
  if (signature !== undefined) out.signature = signature;
  return out;
}

/**
 * `vh…` hashes already decoded, with their 32 bytes. A base58check decode (two SHA-256) costs
 * microseconds, and every read of a chain file checks every entry in it, though a commit changes
 * one: a baker with ten keys paid ~200 µs of CPU per read for it. Bounded: emptied when full.
 */
const decodedHashes = new Map<string, Uint8Array>();

/** The 32 bytes of a `vh…` hash; throws b58Decode's error for anything else. The result is shared: copy it before handing it out. */
function decodeHash(hash: string): Uint8Array {
  let bytes = decodedHashes.get(hash);
  if (bytes === undefined) {
    bytes = b58Decode(hash, ['vh']).payload;
    if (decodedHashes.size >= 4096) decodedHashes.clear();
    decodedHashes.set(hash, bytes);
  }
  return bytes;
}

function toMark(e: Entry): Mark {
  return {
    level: e.level,
    round: e.round,
    digest: e.hash === null ? undefined : Uint8Array.from(decodeHash(e.hash)),
    signature: e.signature,
  };
}

/** The mark of one slot: the highest (level, round) among the names it is stored under. */
export function readSlot(marks: ChainMarks, pkh: string, kind: WatermarkKind): Mark | undefined {
  const entries = marks[pkh];
  if (entries === undefined) return undefined;
  let best: Entry | undefined;
  for (const name of STORED_NAMES[kind]) {
    const e = entries[name];
    if (e !== undefined && (best === undefined || e.level > best.level || (e.level === best.level && e.round > best.round))) best = e;
  }
  return best === undefined ? undefined : toMark(best);
}

/**
 * Stores `mark` for the slot under its own name. A Go Signatory `attestation_with_dal` entry, if
 * present, is raised to the same mark, so a downgrade to Go Signatory stays protected.
 */
export function writeSlot(
  marks: ChainMarks,
  pkh: string,
  kind: WatermarkKind,
  mark: Mark & { digest: Uint8Array; signature: string },
): void {
  const entries = (marks[pkh] ??= {});
  const e: Entry = { level: mark.level, round: mark.round, hash: b58Encode('vh', mark.digest) };
  if (mark.signature !== '') e.signature = mark.signature; // an imported mark (NO_SIGNATURE) keeps none
  entries[kind] = e;
  if (kind === 'attestation' && entries.attestation_with_dal !== undefined) entries.attestation_with_dal = { ...e };
}

/** Removes every name of the slot; true if anything was removed. */
export function removeSlot(marks: ChainMarks, pkh: string, kind: WatermarkKind): boolean {
  const entries = marks[pkh];
  if (entries === undefined) return false;
  let removed = false;
  for (const name of STORED_NAMES[kind]) {
    if (entries[name] !== undefined) {
      delete entries[name];
      removed = true;
    }
  }
  if (Object.keys(entries).length === 0) delete marks[pkh];
  return removed;
}

/** Every slot kind present for each pkh, with its mark. */
export function* slotsOf(marks: ChainMarks): Generator<[string, WatermarkKind, Mark]> {
  for (const [pkh, entries] of Object.entries(marks)) {
    const kinds = new Set<WatermarkKind>();
    for (const name of Object.keys(entries)) {
      const k = slotKindOf(name);
      if (k !== undefined) kinds.add(k);
    }
    for (const k of kinds) yield [pkh, k, readSlot(marks, pkh, k)!];
  }
}

/** Sorted keys, four-space indent, no trailing newline: the way Go Signatory writes the file. */
export function formatChainMarks(marks: ChainMarks): string {
  const sorted: Record<string, Record<string, Entry>> = {};
  for (const pkh of Object.keys(marks).sort()) {
    const entries = marks[pkh]!;
    const kinds: Record<string, Entry> = {};
    for (const k of Object.keys(entries).sort()) {
      const e = entries[k]!;
      kinds[k] =
        e.signature === undefined
          ? { level: e.level, round: e.round, hash: e.hash }
          : { level: e.level, round: e.round, hash: e.hash, signature: e.signature };
    }
    sorted[pkh] = kinds;
  }
  return JSON.stringify(sorted, null, 4);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
