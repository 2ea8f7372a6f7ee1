import type { PrefixName } from './base58';
import { B58 } from './b58';
import { KEY_TAGS, type KeyTag } from './curves';
import { orList } from './decode-error';
import { BALLOT_VOTES } from './kinds';
import { readLazyExpr, readMicheline, type Micheline } from './micheline';
import type { Reader } from './reader';
import { readMutez, readN, readZ, ZARITH_CAPPED_BYTES } from './zarith';

/**
 * The field codecs the operation table is made of. Each reads one field at the reader's position
 * and returns its JSON form (numbers for fixed-width ints, decimal strings for Zarith and i64, hex
 * for opaque bytes), or `undefined` for an absent option. Keys, addresses, hashes and signatures are
 * `B58` values: prefix and bytes, base58 text only when asked (their `toJSON` gives it).
 */
export type FieldCodec = (r: Reader) => unknown;

/** Human-readable wire type of each codec, for the generated docs (docs/payloads.md). */
const labels = new WeakMap<FieldCodec, string>();
export function label<C extends FieldCodec>(codec: C, text: string): C {
  labels.set(codec, text);
  return codec;
}
export function labelOf(codec: FieldCodec): string {
  return labels.get(codec) ?? 'structured (see source)';
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** The key type of a public_key_hash / public_key tag, among those the reader's protocol knows. */
function keyTag(r: Reader, what: string): KeyTag {
  const at = r.pos;
  const tag = r.u8(`${what} key tag`);
  const known = r.protocol.keyTags;
  const k = known[tag];
  if (k === undefined)
    r.fail('unknown_tag', `${what} key tag 0..${known.length - 1} (${known.map((t) => t.pkh).join('/')})`, `got ${tag}`, at);
  return k;
}

/** Raw fixed-size bytes shown in base58 under `prefix`. */
export const hash = (prefix: PrefixName, length: number, what: string = prefix): FieldCodec =>
  label((r) => new B58(prefix, r.fixed(length, what)), `${length} bytes, shown as ${prefix}…`);

/** Raw fixed-size bytes shown as hex. */
export const rawHex = (length: number, what: string): FieldCodec => label((r) => hex(r.fixed(length, what)), `${length} bytes, hex`);

export const dynHex = (what: string): FieldCodec => label((r) => hex(r.dynBytes(what)), 'dyn bytes, hex');

export function readPkh(r: Reader, what = 'public key hash'): B58 {
  const k = keyTag(r, what);
  return new B58(k.pkh, r.fixed(20, what));
}
const keyTagsText = (f: (k: KeyTag) => string | number): string => KEY_TAGS.map(f).join('/');
export const pkh: FieldCodec = label(
  (r) => readPkh(r),
  `public_key_hash (tag + 20: ${KEY_TAGS[0]!.pkh}…${KEY_TAGS[KEY_TAGS.length - 1]!.pkh})`,
);

export const publicKey: FieldCodec = label(
  (r) => {
    const k = keyTag(r, 'public key');
    return new B58(k.pk, r.fixed(k.pkLength, 'public key'));
  },
  `public_key (tag + ${keyTagsText((k) => k.pkLength)} bytes: ${keyTagsText((k) => k.pk)})`,
);

/** contract_id: 0x00 + pkh, or 0x01 + KT1 hash + one 0x00 padding byte. */
export function readContract(r: Reader, what = 'contract', originatedOnly = false): B58 {
  const at = r.pos;
  const tag = r.u8(`${what} tag`);
  if (tag === 0 && !originatedOnly) return readPkh(r, what);
  if (tag !== 1)
    r.fail(
      'unknown_tag',
      originatedOnly ? `${what}: originated contract tag 1` : `${what} tag 0 (implicit) or 1 (originated)`,
      `got ${tag}`,
      at,
    );
  const h = new B58('KT1', r.fixed(20, what));
  const padAt = r.pos;
  if (r.u8(`${what} padding`) !== 0) r.fail('bad_value', `${what} padding byte 0x00`, undefined, padAt);
  return h;
}
export const contract: FieldCodec = label((r) => readContract(r), 'contract_id (22 bytes: tz… or KT1…)');
export const originatedContract: FieldCodec = label(
  (r) => readContract(r, 'originated contract', true),
  'originated contract_id (22 bytes: KT1…)',
);

export const u8: FieldCodec = label((r) => r.u8(), 'u8');
export const u16: FieldCodec = label((r) => r.u16(), 'u16');
export const i32: FieldCodec = label((r) => r.i32(), 'i32');
export const int31: FieldCodec = label((r) => r.int31(), 'int31');
export const i64: FieldCodec = label((r) => r.i64(), 'i64, decimal string');
export const nat: FieldCodec = label((r) => readN(r, 'natural number'), 'Zarith N, decimal string');
export const natCapped: FieldCodec = label(
  (r) => readN(r, 'natural number', ZARITH_CAPPED_BYTES),
  'Zarith N (max 10 bytes), decimal string',
);
export const mutez: FieldCodec = label((r) => readMutez(r, 'mutez amount'), 'mutez: Zarith N (max 10 bytes, <= int64), decimal string');
export const int: FieldCodec = label((r) => readZ(r, 'integer'), 'Zarith Z, decimal string');
export const lazyExpr: FieldCodec = label((r) => readLazyExpr(r), 'dyn Micheline expression');
/** A Micheline expression with no length prefix (it ends where its own encoding ends). */
export const michelineExpr: FieldCodec = label((r) => readMicheline(r), 'Micheline expression (no length prefix)');

/** A boolean: 0x00 false, 0xff true, anything else refused. */
export const bool: FieldCodec = label((r) => {
  const at = r.pos;
  const b = r.u8('boolean');
  if (b === 0xff) return true;
  if (b === 0x00) return false;
  return r.fail('bad_value', 'boolean 0x00 (false) or 0xff (true)', `got 0x${b.toString(16).padStart(2, '0')}`, at);
}, 'boolean: 0x00 false, 0xff true');

/** A positive natural number (ticket amounts). */
export const positiveNat: FieldCodec = label((r) => {
  const at = r.pos;
  const v = readN(r, 'natural number');
  if (v === '0') r.fail('bad_value', 'an amount > 0', undefined, at);
  return v;
}, 'Zarith N > 0, decimal string');

/** opt(X): 0x00, or 0xff then X. */
export const option = (codec: FieldCodec, what: string): FieldCodec =>
  label((r) => (r.present(what) ? codec(r) : undefined), `optional ${labelOf(codec)}`);

/** dyn(list of X) filling the region exactly. */
export const dynList = (item: FieldCodec, what: string): FieldCodec =>
  label((r) => r.dyn(what, (s) => s.list(item)), `dyn list of ${labelOf(item)}`);

/** A fixed-layout record. */
export const record = (fields: readonly (readonly [string, FieldCodec])[]): FieldCodec =>
  label((r) => readFields(r, fields, {}), `{ ${fields.map(([n, c]) => `${n}: ${labelOf(c)}`).join('; ')} }`);

/** An unnamed tuple, shown as a JSON array (as Octez prints tuples). */
export const tuple = (items: readonly FieldCodec[]): FieldCodec =>
  label((r) => items.map((c) => c(r) ?? null), `[${items.map(labelOf).join(', ')}]`);

/** Reads `fields` in order into `into`, leaving out absent options. */
export function readFields(
  r: Reader,
  fields: readonly (readonly [string, FieldCodec])[],
  into: Record<string, unknown>,
): Record<string, unknown> {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = f[1](r);
    if (v !== undefined) into[f[0]] = v;
  }
  return into;
}

/** A one-byte enumeration. */
export const enumeration = (names: readonly string[], what: string): FieldCodec =>
  label(
    (r) => {
      const at = r.pos;
      const v = r.u8(what);
      const name = names[v];
      if (name === undefined) r.fail('unknown_tag', `${what}: 0..${names.length - 1} (${names.join(', ')})`, `got ${v}`, at);
      return name;
    },
    `u8: ${names.map((n, i) => `${i} ${n}`).join(', ')}`,
  );

/** A tagged union: one tag byte picks the codec. */
export const union = (cases: Readonly<Record<number, FieldCodec>>, what: string): FieldCodec =>
  label((r) => {
    const at = r.pos;
    const tag = r.u8(`${what} tag`);
    const c = cases[tag];
    if (c === undefined) return r.fail('unknown_tag', `${what} tag ${Object.keys(cases).join('/')}`, `got ${tag}`, at);
    return c(r);
  }, `tagged union (${what})`);

/** Entrypoint names with a one-byte code (Octez `entrypoint_repr.ml`); 255 = named. */
export const ENTRYPOINTS = [
  'default',
  'root',
  'do',
  'set_delegate',
  'remove_delegate',
  'deposit',
  'stake',
  'unstake',
  'finalize_unstake',
  'set_delegate_parameters',
] as const;
const ENTRYPOINT_NAME_RE = /^[A-Za-z0-9_.%@]{1,31}$/;

function readEntrypoint(r: Reader): string {
  const at = r.pos;
  const tag = r.u8('entrypoint tag');
  const known = ENTRYPOINTS[tag];
  if (known !== undefined) return known;
  if (tag !== 255) r.fail('unknown_tag', `entrypoint tag 0..${ENTRYPOINTS.length - 1} or 255 (named)`, `got ${tag}`, at);
  const lenAt = r.pos;
  const n = r.u8('entrypoint name length');
  if (n > 31) r.fail('bad_length', 'entrypoint name length <= 31', `got ${n}`, lenAt);
  const name = Buffer.from(r.fixed(n, 'entrypoint name')).toString('latin1');
  if (!ENTRYPOINT_NAME_RE.test(name)) r.fail('bad_value', 'entrypoint name of [A-Za-z0-9_.%@]', JSON.stringify(name), lenAt + 1);
  return name;
}

/** transaction.parameters: opt({entrypoint, value: lazy_expr}). */
export const parameters: FieldCodec = label((r) => {
  if (!r.present('parameters')) return undefined;
  const entrypoint = readEntrypoint(r);
  const value: Micheline = readLazyExpr(r, 'parameters value');
  return { entrypoint, value };
}, 'optional { entrypoint: u8 code, or 0xff + u8 length (<= 31) + name; value: dyn Micheline }');

/** transfer_ticket.entrypoint: a plain dyn string. */
export const dynString = (what: string): FieldCodec =>
  label((r) => {
    const at = r.pos;
    const b = r.dynBytes(what);
    for (let i = 0; i < b.length; i++)
      if (b[i]! > 0x7e || b[i]! < 0x20) r.fail('bad_value', `${what}: printable ASCII`, undefined, at + 4 + i);
    return Buffer.from(b).toString('latin1');
  }, 'dyn ASCII string');

/** A BLS proof of possession: opt(dyn(96-byte signature)). */
export const blsProof: FieldCodec = label((r) => {
  if (!r.present('proof')) return undefined;
  const at = r.pos;
  const n = r.length('proof');
  if (n !== 96) r.fail('bad_length', 'a 96-byte BLS signature', `length ${n}`, at);
  return new B58('BLsig', r.fixed(96, 'proof'));
}, 'optional dyn 96-byte BLS signature (BLsig…)');

/** Ballot vote byte: its value is the index in BALLOT_VOTES. */
export const ballotVote: FieldCodec = label(
  (r) => {
    const at = r.pos;
    const v = r.u8('ballot');
    const name = BALLOT_VOTES[v];
    if (name === undefined) r.fail('bad_value', `ballot ${orList(BALLOT_VOTES.map((b, i) => `${i} (${b})`))}`, `got ${v}`, at);
    return name;
  },
  `u8: ${BALLOT_VOTES.map((b, i) => `${i} ${b}`).join(', ')}`,
);

/** A signature filling the rest of a region: 64 bytes (tz1-3) or 96 (BLS). */
export const trailingSignature: FieldCodec = label((r) => {
  const n = r.remaining;
  if (n === 64) return new B58('sig', r.fixed(64, 'signature'));
  if (n === 96) return new B58('BLsig', r.fixed(96, 'signature'));
  return r.fail('bad_length', 'a 64- or 96-byte signature', `${n} bytes`);
}, 'rest of the region: 64-byte (sig…) or 96-byte (BLsig…) signature');
