/**
 * Differential test against an independent oracle for ZK rollup operations (tags 250-252), which
 * Taquito cannot forge: vectors/zk-rollup.json holds operations as Octez's own Kaitai Struct
 * description of the U025 operation encoding read them (see scripts/gen-zk-vectors.js for the source
 * and how to regenerate). Every vector must decode to the same fields, and every truncation or
 * extension of one must be refused with a DecodeError.
 */
import bs58check from 'bs58check';
import { CURRENT_PROTOCOL, DecodeError, fromHex, parseSignRequest, type GenericRequest, type Protocol } from '@signatory-ts/core';
import vectorFile from './vectors/zk-rollup.json';

type Json = null | boolean | string | number | Json[] | { [key: string]: Json };
type Fields = { [key: string]: Json };
interface Vector {
  name: string;
  hex: string;
  opLengths: number[];
  kaitai: { operation__alpha__unsigned_operation: string; contents: Fields[] };
}
const vectors = (vectorFile as unknown as { vectors: Vector[] }).vectors;

// Base58check prefixes (Octez src/lib_crypto/base58.ml), by the oracle's key-hash and contract tags.
const ADDRESS_PREFIX: Record<string, string> = {
  ed25519: '06a19f',
  secp256k1: '06a1a1',
  p256: '06a1a4',
  bls: '06a1a6',
  mldsa44: '06a1a9',
  originated: '025a79',
};
const BRANCH_PREFIX = '0134';
const b58 = (prefix: string, hex: string): string => bs58check.encode(Buffer.from(prefix + hex, 'hex'));
const text = (hex: Json): string => Buffer.from(hex as string, 'hex').toString('latin1');

/**
 * The oracle's field names and value forms mapped to ours, in one table. Fields not named here keep
 * their name and value (Zarith amounts and mutez are decimal strings in both).
 */
const FIELDS: Record<string, (v: Json) => [string | number, Json]> = {
  op_code: (v) => ['op_code', Number(v)], // int31: a JSON number in ours
  nb_ops: (v) => ['nb_ops', Number(v)],
  exit_validity: (v) => ['exit_validity', v === 'true'], // enum bool: a JSON boolean in ours
  // tuples (Octez tup2) are arrays in ours, their names text
  circuits_info_elt_field0: (v) => [0, text(v)],
  circuits_info_elt_field1: (v) => [1, v],
  pending_pis_elt_field0: (v) => [0, text(v)],
  pending_pis_elt_field1: (v) => [1, ours(v)],
  private_pis_elt_field0: (v) => [0, text(v)],
  private_pis_elt_field1: (v) => [1, ours(v)],
  op_elt_field0: (v) => [0, ours(v)],
  // the ticket option: the oracle reads None (a tag with no field) as "none", Some as { tag, some }
  op_elt_field1: (v) => [1, v === 'none' ? null : ours((v as Fields).some!)],
  // fee_pi is { new_state } in ours; the oracle reads the one-field object as its field
  fee_pi: (v) => ['fee_pi', { new_state: v }],
};

/** A public key hash, contract id or Micheline node the oracle read, in our JSON form. */
function special(v: Fields): Json | undefined {
  if ('public_key_hash_tag' in v) {
    const tag = v.public_key_hash_tag as string;
    return b58(ADDRESS_PREFIX[tag]!, v[tag] as string);
  }
  if ('contract_id_tag' in v) {
    return v.contract_id_tag === 'implicit'
      ? ours(v.implicit!)
      : b58(ADDRESS_PREFIX.originated!, (v.originated as Fields).contract_hash as string);
  }
  if ('micheline__michelson_v1__expression_tag' in v) {
    const tag = v.micheline__michelson_v1__expression_tag as string;
    const node = v[tag]!;
    if (tag === 'int') return { int: node };
    if (tag === 'string') return { string: text(node) };
    if (tag === 'bytes') return { bytes: node };
    if (tag === 'prim__no_args__no_annots') return { prim: node };
    if (tag === 'prim__2_args__no_annots') {
      const p = node as Fields;
      return { prim: p.prim!, args: [ours(p.arg1!), ours(p.arg2!)] };
    }
    throw new Error(`no mapping for Micheline ${tag}: add one here if a vector uses it`);
  }
  return undefined;
}

function ours(v: Json): Json {
  if (Array.isArray(v)) return v.map(ours);
  if (v === null || typeof v !== 'object') return v;
  const s = special(v);
  if (s !== undefined) return s;
  const entries = Object.entries(v).map(([k, x]): [string | number, Json] => FIELDS[k]?.(x) ?? [k, ours(x)]);
  if (entries.every(([k]) => typeof k === 'number')) return entries.map(([, x]) => x);
  const out: Fields = {};
  for (const [k, x] of entries) out[String(k)] = x;
  return out;
}

/** One operation as the oracle read it ({ <kind>_tag, <kind>: fields }), in our decoder's JSON form. */
function expectedOperation(entry: Fields): Fields {
  const kind = entry.operation__alpha__contents_tag as string;
  const { delegate_tag, ...fields } = ours(entry[kind]!) as Fields;
  // delegation: an absent delegate is omitted from ours
  if (delegate_tag === 'false') delete fields.delegate;
  return { kind, ...fields };
}

const decode = (hex: string, protocol: Protocol = CURRENT_PROTOCOL): GenericRequest =>
  parseSignRequest(fromHex(hex), undefined, { protocol }) as GenericRequest;
const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function refusal(hex: string): DecodeError | undefined {
  try {
    decode(hex);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  return undefined;
}

describe('ZK rollup operations agree with the Kaitai oracle (Octez U025 encoding)', () => {
  it('has vectors for every ZK rollup kind and branch the generator covers', () => {
    const kinds = new Set(vectors.flatMap((v) => v.kaitai.contents.map((c) => c.operation__alpha__contents_tag)));
    expect([...kinds].sort()).toEqual(['delegation', 'zk_rollup_origination', 'zk_rollup_publish', 'zk_rollup_update']);
    const file = JSON.stringify(vectors);
    for (const branch of [
      '"public"',
      '"private"',
      '"fee"',
      '"some"',
      '"none"',
      '"true"',
      '"false"',
      '"mldsa44"',
      '"implicit"',
      '"originated"',
    ]) {
      expect(file).toContain(branch);
    }
    expect(vectors.some((v) => v.opLengths.length > 1)).toBe(true);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const req = decode(v.hex);
    expect(String(req.branch)).toBe(b58(BRANCH_PREFIX, v.kaitai.operation__alpha__unsigned_operation));
    expect(json(req.operations)).toEqual(v.kaitai.contents.map(expectedOperation));
  });

  it('Tallinn decodes them the same, except that it has no tz5 (ML-DSA-44) key hashes', () => {
    for (const v of vectors) {
      if (JSON.stringify(v.kaitai).includes('"mldsa44"')) {
        expect(() => decode(v.hex, 'tallinn')).toThrow(expect.objectContaining({ reason: 'unknown_tag' }) as Error);
      } else expect(json(decode(v.hex, 'tallinn'))).toEqual(json(decode(v.hex)));
    }
  });
});

describe('truncated and extended ZK rollup vectors are refused with a DecodeError', () => {
  const CONTENTS = 2 + 64; // hex offset of the contents: after 0x03 and the branch

  it.each(vectors.map((v) => [v.name, v] as const))('%s: every truncation', (_name, v) => {
    expect(v.opLengths.reduce((a, b) => a + b, 0) * 2).toBe(v.hex.length - CONTENTS);
    // ending exactly where an operation ends is a shorter valid batch, not a truncation
    const boundaries = new Set(v.opLengths.map((_, i) => CONTENTS + 2 * v.opLengths.slice(0, i + 1).reduce((a, b) => a + b, 0)));
    for (let end = CONTENTS + 2; end < v.hex.length; end += 2) {
      if (boundaries.has(end)) expect(refusal(v.hex.slice(0, end))).toBeUndefined();
      else expect(refusal(v.hex.slice(0, end))?.code).toBe('bad_request');
    }
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s: trailing bytes', (_name, v) => {
    const first = v.hex.slice(CONTENTS, CONTENTS + 2 * v.opLengths[0]!);
    // one byte, and the first operation again cut short at a few points
    const tails = ['00', 'ff', ...[1, 2, 22, Math.floor(v.opLengths[0]! / 2)].map((n) => first.slice(0, 2 * n))];
    for (const tail of tails) expect(refusal(v.hex + tail)?.code).toBe('bad_request');
    expect(refusal(v.hex + first)).toBeUndefined(); // the whole operation again is a longer valid batch
  });
});
