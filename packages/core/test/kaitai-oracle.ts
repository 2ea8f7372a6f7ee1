/**
 * Reads the Kaitai oracle's vectors (vectors/zk-rollup.json, smart-rollup.json, taquito-divergences.json,
 * evidence.json, written by
 * scripts/gen-zk-vectors.js from Octez's own Kaitai Struct description of the U025 operation encoding)
 * and maps the oracle's reading to our decoder's JSON form, so a test can compare them whole.
 * Names and value forms are mapped in the tables below and nowhere else.
 */
import bs58check from 'bs58check';
import {
  CURRENT_PROTOCOL,
  DecodeError,
  fromHex,
  parseSignRequest,
  type DecodeErrorReason,
  type GenericRequest,
  type Protocol,
  USHUAIA_OPERATIONS,
} from '@signatory-ts/core';

export type Json = null | boolean | string | number | Json[] | { [key: string]: Json };
export type Fields = { [key: string]: Json };
export interface Vector {
  name: string;
  /** The whole sign request: 0x03, branch, contents. */
  hex: string;
  /** Byte length of each operation in the contents (absent for a refused vector). */
  opLengths?: number[];
  /** [byte offset in `hex`, prefix size, declared length] of each length-prefixed region with structured content. */
  lengthPrefixes?: [number, number, number][];
  /** What the oracle read from the bytes after 0x03 (absent for a refused vector). */
  kaitai?: { operation__alpha__unsigned_operation: string; contents: Fields[] };
  /** Why the oracle refused the bytes (then our decoder must refuse them too, for the same reason). */
  kaitaiRefusal?: OracleRefusal;
}
/** Why and where the oracle refused some bytes (see the vector file's `note`). */
export interface OracleRefusal {
  error: 'not_in_enum' | 'eof' | 'greater_than' | 'less_than' | 'bytes_left';
  /** The .ksy attribute ids from the top to the field refused, array indices included. */
  path: string;
  /** The field's first byte in `hex`. */
  offset: number;
  /** For not_in_enum: the .ksy enum the value is not in. */
  enum?: string;
  message: string;
}
export type ReadVector = Vector & Required<Pick<Vector, 'opLengths' | 'lengthPrefixes' | 'kaitai'>>;

// Base58check prefixes (Octez src/lib_crypto/base58.ml).
const PREFIX = {
  ed25519: '06a19f', // tz1
  secp256k1: '06a1a1', // tz2
  p256: '06a1a4', // tz3
  bls: '06a1a6', // tz4
  mldsa44: '06a1a9', // tz5
  originated: '025a79', // KT1
  branch: '0134', // B
  smartRollup: '067c75', // sr1
  commitment: '11a5868a', // src1
  state: '11a5ebf0', // srs1
  blsSignature: '28ab40cf', // BLsig
  genericSignature: '04822b', // sig
  operationListList: '1d9f6d', // LLo
  context: '4fc7', // Co
  blockPayload: '016af2', // vh (proto_025 block_payload_hash.ml)
  nonce: '45dca9', // nce (proto_025 nonce_hash.ml)
} as const;
const PUBLIC_KEY_PREFIX: Record<string, string> = { ed25519: '0d0f25d9', secp256k1: '03fee256', p256: '03b28b7f', bls: '069587cc' };
const b58 = (prefix: string, hex: Json): string => bs58check.encode(Buffer.from(prefix + (hex as string), 'hex'));
const text = (hex: Json): string => Buffer.from(hex as string, 'hex').toString('latin1');
const fields = (v: Json | undefined): Fields => (v === undefined ? {} : (ours(v) as Fields));
const int32 = (hex: Json): number => Buffer.from(hex as string, 'hex').readInt32BE();
/** A signature, the rest of its region: 64 bytes are a generic signature (sig…), 96 a BLS one. */
const signature = (hex: Json): Json => b58((hex as string).length === 192 ? PREFIX.blsSignature : PREFIX.genericSignature, hex);
const LIQUIDITY_BAKING_VOTES = ['on', 'off', 'pass'];

/**
 * A signed block header (double baking evidence) as the oracle reads it, in our decoder's form: the
 * BlockHeader of block.ts (also what 0x11 requests decode to), with the Tenderbake fitness read out of
 * its byte elements and the per-block votes byte named.
 */
function blockHeader(v: Json): Json {
  const header = v as Fields;
  const shell = header.block_header__alpha__full_header as Fields;
  const signed = header.block_header__alpha__signed_contents as Fields;
  const unsigned = signed.block_header__alpha__unsigned_contents as Fields;
  const [version, level, locked, predecessor, round] = shell.fitness as string[];
  const votes = ['per_block_vote_on', 'per_block_vote_off', 'per_block_vote_pass'].indexOf(
    (unsigned.per_block_votes as Fields).per_block_votes_tag as string,
  );
  return {
    level: Number(shell.level),
    proto: Number(shell.proto),
    predecessor: b58(PREFIX.branch, shell.predecessor!),
    timestamp: new Date(Number(shell.timestamp) * 1000).toISOString().replace('.000Z', 'Z'),
    validationPass: Number(shell.validation_pass),
    operationsHash: b58(PREFIX.operationListList, shell.operations_hash!),
    fitness: {
      version: parseInt(version!, 16),
      level: int32(level!),
      lockedRound: locked === '' ? null : int32(locked!),
      predecessorRound: -int32(predecessor!) - 1,
      round: int32(round!),
    },
    round: int32(round!),
    context: b58(PREFIX.context, shell.context!),
    payloadHash: b58(PREFIX.blockPayload, unsigned.payload_hash!),
    payloadRound: Number(unsigned.payload_round),
    proofOfWorkNonce: unsigned.proof_of_work_nonce!,
    ...(unsigned.seed_nonce_hash_tag === 'true' ? { seedNonceHash: b58(PREFIX.nonce, unsigned.seed_nonce_hash!) } : {}),
    perBlockVotes: votes,
    liquidityBakingVote: LIQUIDITY_BAKING_VOTES[votes]!,
    signature: signature(signed.signature!),
  };
}

/**
 * Kaitai unions read as { <x>_tag: case, <case>: body }: each maps to our form by its tag field. An
 * option reads as { <x>_tag: "true" | "false", <x>: body } and needs no entry: ours omits an absent one.
 */
const UNIONS: Record<string, (kase: string, body: Json | undefined) => Json> = {
  public_key_hash_tag: (kase, hash): Json => b58(PREFIX[kase as keyof typeof PREFIX], hash!),
  public_key_tag: (kase, key): Json => {
    if (!PUBLIC_KEY_PREFIX[kase]) throw new Error(`no base58 prefix for a ${kase} public key: add one here if a vector uses it`);
    return b58(PUBLIC_KEY_PREFIX[kase], key!);
  },
  contract_id__originated_tag: (_kase, body): Json => b58(PREFIX.originated, (body as Fields).contract_hash!),
  contract_id_tag: (kase, body): Json => (kase === 'implicit' ? ours(body!) : b58(PREFIX.originated, (body as Fields).contract_hash!)),
  // the zk ticket: a tuple element, so None is null rather than omitted
  op_elt_field1_tag: (kase, body) => (kase === 'none' ? null : ours(body!)),
  micheline__michelson_v1__expression_tag: (kase, node): Json => {
    if (kase === 'int') return { int: node! };
    if (kase === 'string') return { string: text(node!) };
    if (kase === 'bytes') return { bytes: node! };
    if (kase === 'prim__no_args__no_annots') return { prim: node! };
    if (kase === 'prim__2_args__no_annots') {
      const p = node as Fields;
      return { prim: p.prim!, args: [ours(p.arg1!), ours(p.arg2!)] };
    }
    throw new Error(`no mapping for Micheline ${kase}: add one here if a vector uses it`);
  },
  // an inlined consensus operation's content: its kind beside its fields (an aggregate's consensus_content flattened)
  inlined__consensus_operation__contents_tag: (kase, body): Json => {
    const { consensus_content, ...rest } = body as Fields;
    return { kind: kase, ...fields(consensus_content), ...fields(rest) };
  },
  // smart rollup refutations (Octez JSON: a *_kind field beside the case's fields)
  refutation_tag: (kase, body): Json => ({ refutation_kind: kase, ...fields(body) }),
  step_tag: (kase, body): Json => (kase === 'dissection' ? ours(body!) : fields(body)),
  input_proof_tag: (kase, body): Json =>
    kase === 'reveal__proof'
      ? { input_proof_kind: 'reveal_proof', reveal_proof: ours(body!) }
      : { input_proof_kind: kase.replace(/__/g, '_'), ...fields(body) },
  reveal_proof_tag: (kase, body): Json =>
    kase === 'raw__data__proof'
      ? { reveal_proof_kind: 'raw_data_proof', raw_data: body! } // the oracle reads the one-field object as its field
      : { reveal_proof_kind: kase.replace(/__/g, '_'), ...fields(body) },
};

/** Fields whose name or value form differs; every other field keeps both (decimal strings, hex). */
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
  op_elt_field1: (v) => [1, ours(v)],
  // fee_pi is { new_state } in ours; the oracle reads the one-field object as its field
  fee_pi: (v) => ['fee_pi', { new_state: v }],
  // smart rollups: hashes in base58, int32 as JSON numbers
  rollup: (v) => ['rollup', b58(PREFIX.smartRollup, v)],
  compressed_state: (v) => ['compressed_state', b58(PREFIX.state, v)],
  state: (v) => ['state', b58(PREFIX.state, v)],
  predecessor: (v) => ['predecessor', b58(PREFIX.commitment, v)],
  player_commitment_hash: (v) => ['player_commitment_hash', b58(PREFIX.commitment, v)],
  opponent_commitment_hash: (v) => ['opponent_commitment_hash', b58(PREFIX.commitment, v)],
  inbox_level: (v) => ['inbox_level', Number(v)],
  level: (v) => ['level', Number(v)],
  published_level: (v) => ['published_level', Number(v)],
  slot_index: (v) => ['slot_index', Number(v)],
  page_index: (v) => ['page_index', Number(v)],
  // evidence: an inlined consensus operation is { branch, operations, signature }, u16 and int32 as JSON numbers
  inlined__consensus_operation: (v) => ['branch', b58(PREFIX.branch, v)],
  signature: (v) => ['signature', signature(v)],
  slot: (v) => ['slot', Number(v)],
  round: (v) => ['round', Number(v)],
  block_payload_hash: (v) => ['block_payload_hash', b58(PREFIX.blockPayload, v)],
  committee: (v) => ['committee', (v as Json[]).map((m) => (typeof m === 'string' ? Number(m) : ours(m)))],
  consensus_slot: (v) => ['consensus_slot', Number(v)],
  lag_index: (v) => ['lag_index', Number(v)],
  bh1: (v) => ['bh1', blockHeader(v)],
  bh2: (v) => ['bh2', blockHeader(v)],
  // a DAL shard is Octez's tup2 (index, share): an array in ours
  shard_field0: (v) => [0, Number(v)],
  shard_field1: (v) => [1, v],
};

/** The oracle's reading of a value, in our decoder's JSON form. */
export function ours(v: Json): Json {
  if (Array.isArray(v)) return v.map(ours);
  if (v === null || typeof v !== 'object') return v;
  const tag = Object.keys(v).find((k) => k.endsWith('_tag') && v[k] !== 'true' && v[k] !== 'false');
  if (tag !== undefined) {
    const map = UNIONS[tag];
    if (!map) throw new Error(`no mapping for the oracle's union ${tag}: add one to UNIONS`);
    const kase = v[tag] as string;
    return map(kase, v[kase]);
  }
  const entries: [string | number, Json][] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k.endsWith('_tag')) continue; // an option's presence: ours omits an absent field
    entries.push(FIELDS[k]?.(x) ?? [k, ours(x)]);
  }
  if (entries.length > 0 && entries.every(([k]) => typeof k === 'number')) return entries.map(([, x]) => x);
  const out: Fields = {};
  for (const [k, x] of entries) out[String(k)] = x;
  return out;
}

/** Fields whose form depends on the operation kind (the same name elsewhere keeps its form). */
const BY_KIND: Record<string, Record<string, (v: Json) => Json>> = {
  reveal: { proof: (v) => b58(PREFIX.blsSignature, v) },
  // the oracle reads the lazy Micheline type as bytes; the vectors use `nat` only
  smart_rollup_originate: {
    parameters_ty: (v) => {
      if (v !== '0362') throw new Error(`no mapping for parameters_ty ${String(v)}: add one here if a vector uses it`);
      return { prim: 'nat' };
    },
  },
};

/** One operation as the oracle read it ({ <kind>_tag, <kind>: fields }), in our decoder's JSON form. */
export function expectedOperation(entry: Fields): Fields {
  const kind = entry.operation__alpha__contents_tag as string;
  const out: Fields = { kind, ...(ours(entry[kind]!) as Fields) };
  for (const [field, map] of Object.entries(BY_KIND[kind] ?? {})) if (field in out) out[field] = map(out[field]!);
  return out;
}

export const expectedBranch = (v: ReadVector): string => b58(PREFIX.branch, v.kaitai.operation__alpha__unsigned_operation);

export const decode = (hex: string, protocol: Protocol = CURRENT_PROTOCOL): GenericRequest =>
  parseSignRequest(fromHex(hex), undefined, { protocol }) as GenericRequest;

/** Our decoder's refusal of `hex`, or undefined when it decodes it; anything but a DecodeError is thrown. */
export function refusal(hex: string): DecodeError | undefined {
  try {
    decode(hex);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  return undefined;
}

/**
 * Our decoder's reason for what the oracle refused: an unknown tag or enumeration value is unknown_tag,
 * except the .ksy `bool` enum, which is an option's presence byte (bad_option) or a boolean field
 * (bad_value), and a block header's per-block votes byte, which ours names (bad_votes); a `valid` bound is bad_length on a length prefix (`len_*`) and bad_value elsewhere (int31);
 * the input ending inside a field is short_input; bytes left over are trailing_bytes. Our refusal is at
 * the same byte as the oracle's.
 */
export function expectedRefusal(r: OracleRefusal): { reason: DecodeErrorReason; offset: number } {
  const leaf = r.path.slice(r.path.lastIndexOf('.') + 1);
  const different = REFUSED_DIFFERENTLY.find(([suffix]) => r.path.endsWith(suffix));
  if (different) return { reason: different[1], offset: r.offset + different[2] };
  switch (r.error) {
    case 'not_in_enum':
      if (r.enum === 'per_block_votes_tag') return { reason: 'bad_votes', offset: r.offset };
      if (r.enum !== 'bool') return { reason: 'unknown_tag', offset: r.offset };
      return { reason: leaf.endsWith('_tag') ? 'bad_option' : 'bad_value', offset: r.offset };
    case 'greater_than':
    case 'less_than':
      return { reason: leaf.startsWith('len_') ? 'bad_length' : 'bad_value', offset: r.offset };
    case 'eof':
      return { reason: 'short_input', offset: r.offset };
    case 'bytes_left':
      return { reason: 'trailing_bytes', offset: r.offset };
  }
}

/**
 * Where our decoder refuses for another reason than the oracle, and why: [end of the oracle's path,
 * our reason, our offset minus the oracle's].
 */
const REFUSED_DIFFERENTLY: [string, DecodeErrorReason, number][] = [
  // A reveal proof is dyn(BLS signature): ours refuses a length prefix other than 96 at the prefix, before
  // reading; the oracle reads the 96 bytes inside the shorter region and runs out 4 bytes further on.
  ['.reveal.proof.proof.bls12_381_signature', 'bad_length', -4],
];

/** The JSON form of a value: B58 values become their base58 text, as in `JSON.stringify(request)`. */
export const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const MANAGER_KINDS = new Set<string>(USHUAIA_OPERATIONS.filter((op) => op.manager).map((op) => op.kind));

/** Hex offset of the contents in a vector: after 0x03 and the branch. */
export const CONTENTS = 2 + 64;

/**
 * The checks every vector file gets: each read vector decodes to the oracle's fields; each refused one
 * is refused for the reason the oracle refused it (expectedRefusal); every truncation of a read vector (not ending where an operation ends) and a few trailing
 * byte strings are refused.
 */
export function describeOracleVectors(title: string, all: Vector[]): void {
  const read = all.filter((v): v is ReadVector => v.kaitai !== undefined);
  const refused = all.filter((v) => v.kaitaiRefusal !== undefined);

  describe(`${title} agree with the Kaitai oracle (Octez U025 encoding)`, () => {
    it('every vector is either read or refused by the oracle', () => {
      expect(read.length + refused.length).toBe(all.length);
      expect(read.length).toBeGreaterThan(0);
    });

    it.each(read.map((v) => [v.name, v] as const))('%s', (_name, v) => {
      const req = decode(v.hex);
      expect(String(req.branch)).toBe(expectedBranch(v));
      expect(json(req.operations)).toEqual(v.kaitai.contents.map(expectedOperation));
    });

    it.each(refused.map((v) => [v.name, v] as const))('%s: refused where and why the oracle refused it', (_name, v) => {
      const e = refusal(v.hex);
      expect(e?.code).toBe('bad_request');
      expect({ reason: e?.reason, offset: e?.offset }).toEqual(expectedRefusal(v.kaitaiRefusal!));
    });
  });

  describe(`${title}: truncated and extended vectors are refused with a DecodeError`, () => {
    it.each(read.map((v) => [v.name, v] as const))('%s: every truncation', (_name, v) => {
      expect(v.opLengths.reduce((a, b) => a + b, 0) * 2).toBe(v.hex.length - CONTENTS);
      // ending exactly where an operation ends is a shorter valid batch, not a truncation
      const boundaries = new Set(v.opLengths.map((_, i) => CONTENTS + 2 * v.opLengths.slice(0, i + 1).reduce((a, b) => a + b, 0)));
      for (let end = CONTENTS + 2; end < v.hex.length; end += 2) {
        if (boundaries.has(end)) expect(refusal(v.hex.slice(0, end))).toBeUndefined();
        else expect(refusal(v.hex.slice(0, end))?.code).toBe('bad_request');
      }
    });

    it.each(read.filter((v) => v.lengthPrefixes.length > 0).map((v) => [v.name, v] as const))(
      '%s: a byte added at the end of each length-prefixed region (its length and the enclosing ones grown by one)',
      (_name, v) => {
        for (const [at, size, length] of v.lengthPrefixes) {
          const bytes = Buffer.from(v.hex, 'hex');
          const end = at + size + length;
          for (const [qAt, qSize, qLength] of v.lengthPrefixes) {
            if (qAt <= at && qAt + qSize + qLength >= end) {
              if (qSize === 4) bytes.writeUInt32BE(qLength + 1, qAt);
              else bytes.writeUInt16BE(qLength + 1, qAt);
            }
          }
          const grown = Buffer.concat([bytes.subarray(0, end), Buffer.from([0]), bytes.subarray(end)]).toString('hex');
          expect(refusal(grown)?.code).toBe('bad_request');
        }
      },
    );

    it.each(read.map((v) => [v.name, v] as const))('%s: trailing bytes', (_name, v) => {
      const first = v.hex.slice(CONTENTS, CONTENTS + 2 * v.opLengths[0]!);
      // one byte, and the first operation again cut short at a few points
      const tails = ['00', 'ff', ...[1, 2, 22, Math.floor(v.opLengths[0]! / 2)].map((n) => first.slice(0, 2 * n))];
      for (const tail of tails) expect(refusal(v.hex + tail)?.code).toBe('bad_request');
      // the whole operation again is a longer valid batch, of manager operations only
      const kind = v.kaitai.contents[0]!.operation__alpha__contents_tag as string;
      if (MANAGER_KINDS.has(kind)) expect(refusal(v.hex + first)).toBeUndefined();
      else expect(refusal(v.hex + first)?.reason).toBe('bad_batch');
    });
  });
}
