import type { Reader } from './reader';
import { readZ } from './zarith';

/**
 * Micheline binary expressions (the PACK format and every `lazy_expr`), decoded into the usual
 * JSON form: `{int}`, `{string}`, `{bytes}` (hex), arrays for sequences, `{prim, args?, annots?}`.
 */
export type Micheline =
  { int: string } | { string: string } | { bytes: string } | Micheline[] | { prim: string; args?: Micheline[]; annots?: string[] };

/** Primitive names by id (Octez `michelson_v1_primitives.ml`; ids are only ever appended). 159/160 arrived in Tallinn. */
export const MICHELINE_PRIMITIVES: readonly string[] = [
  'parameter',
  'storage',
  'code',
  'False',
  'Elt',
  'Left',
  'None',
  'Pair',
  'Right',
  'Some',
  'True',
  'Unit',
  'PACK',
  'UNPACK',
  'BLAKE2B',
  'SHA256',
  'SHA512',
  'ABS',
  'ADD',
  'AMOUNT',
  'AND',
  'BALANCE',
  'CAR',
  'CDR',
  'CHECK_SIGNATURE',
  'COMPARE',
  'CONCAT',
  'CONS',
  'CREATE_ACCOUNT',
  'CREATE_CONTRACT',
  'IMPLICIT_ACCOUNT',
  'DIP',
  'DROP',
  'DUP',
  'EDIV',
  'EMPTY_MAP',
  'EMPTY_SET',
  'EQ',
  'EXEC',
  'FAILWITH',
  'GE',
  'GET',
  'GT',
  'HASH_KEY',
  'IF',
  'IF_CONS',
  'IF_LEFT',
  'IF_NONE',
  'INT',
  'LAMBDA',
  'LE',
  'LEFT',
  'LOOP',
  'LSL',
  'LSR',
  'LT',
  'MAP',
  'MEM',
  'MUL',
  'NEG',
  'NEQ',
  'NIL',
  'NONE',
  'NOT',
  'NOW',
  'OR',
  'PAIR',
  'PUSH',
  'RIGHT',
  'SIZE',
  'SOME',
  'SOURCE',
  'SENDER',
  'SELF',
  'STEPS_TO_QUOTA',
  'SUB',
  'SWAP',
  'TRANSFER_TOKENS',
  'SET_DELEGATE',
  'UNIT',
  'UPDATE',
  'XOR',
  'ITER',
  'LOOP_LEFT',
  'ADDRESS',
  'CONTRACT',
  'ISNAT',
  'CAST',
  'RENAME',
  'bool',
  'contract',
  'int',
  'key',
  'key_hash',
  'lambda',
  'list',
  'map',
  'big_map',
  'nat',
  'option',
  'or',
  'pair',
  'set',
  'signature',
  'string',
  'bytes',
  'mutez',
  'timestamp',
  'unit',
  'operation',
  'address',
  'SLICE',
  'DIG',
  'DUG',
  'EMPTY_BIG_MAP',
  'APPLY',
  'chain_id',
  'CHAIN_ID',
  'LEVEL',
  'SELF_ADDRESS',
  'never',
  'NEVER',
  'UNPAIR',
  'VOTING_POWER',
  'TOTAL_VOTING_POWER',
  'KECCAK',
  'SHA3',
  'PAIRING_CHECK',
  'bls12_381_g1',
  'bls12_381_g2',
  'bls12_381_fr',
  'sapling_state',
  'sapling_transaction_deprecated',
  'SAPLING_EMPTY_STATE',
  'SAPLING_VERIFY_UPDATE',
  'ticket',
  'TICKET_DEPRECATED',
  'READ_TICKET',
  'SPLIT_TICKET',
  'JOIN_TICKETS',
  'GET_AND_UPDATE',
  'chest',
  'chest_key',
  'OPEN_CHEST',
  'VIEW',
  'view',
  'constant',
  'SUB_MUTEZ',
  'tx_rollup_l2_address',
  'MIN_BLOCK_TIME',
  'sapling_transaction',
  'EMIT',
  'Lambda_rec',
  'LAMBDA_REC',
  'TICKET',
  'BYTES',
  'NAT',
  'Ticket',
  'IS_IMPLICIT_ACCOUNT',
  'INDEX_ADDRESS',
  'GET_ADDRESS_INDEX',
];

/** Nesting limit: keeps the recursive decoder far from the JS stack limit on hostile input. */
export const MICHELINE_MAX_DEPTH = 512;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readUtf8(r: Reader, what: string): string {
  const at = r.pos;
  const bytes = r.dynBytes(what);
  try {
    return utf8.decode(bytes);
  } catch {
    return r.fail('bad_value', `${what}: valid UTF-8`, undefined, at);
  }
}

function readPrim(r: Reader): string {
  const at = r.pos;
  const id = r.u8('Micheline primitive');
  const name = MICHELINE_PRIMITIVES[id];
  if (name === undefined) r.fail('unknown_tag', `a Michelson primitive id 0..${MICHELINE_PRIMITIVES.length - 1}`, `got ${id}`, at);
  return name;
}

function readAnnots(r: Reader): string[] | undefined {
  const text = readUtf8(r, 'Micheline annotations');
  return text.length > 0 ? text.split(' ') : undefined;
}

function readNode(r: Reader): Micheline {
  const at = r.pos;
  const tag = r.u8('Micheline node tag');
  if (tag === 0) return { int: readZ(r, 'Micheline int') };
  if (tag === 1) return { string: readUtf8(r, 'Micheline string') };
  if (tag === 10) return { bytes: Buffer.from(r.dynBytes('Micheline bytes')).toString('hex') };
  if (tag > 10) return r.fail('unknown_tag', 'a Micheline node tag 0..10', `got ${tag}`, at);
  if (++r.depth > MICHELINE_MAX_DEPTH) r.fail('too_deep', `Micheline nesting <= ${MICHELINE_MAX_DEPTH}`, undefined, at);
  let out: Micheline;
  if (tag === 2) {
    out = r.dyn('Micheline sequence', (s) => s.list(readNode));
  } else {
    const prim = readPrim(r);
    const node: { prim: string; args?: Micheline[]; annots?: string[] } = { prim };
    if (tag === 9) {
      const args = r.dyn('Micheline arguments', (s) => s.list(readNode));
      if (args.length > 0) node.args = args;
      const annots = readAnnots(r);
      if (annots !== undefined) node.annots = annots;
    } else {
      const nargs = (tag - 3) >> 1;
      if (nargs > 0) {
        const args: Micheline[] = [];
        for (let i = 0; i < nargs; i++) args.push(readNode(r));
        node.args = args;
      }
      if ((tag & 1) === 0) node.annots = readAnnots(r) ?? [];
    }
    out = node;
  }
  r.depth--;
  return out;
}

/** Reads one Micheline expression at the reader's position. */
export function readMicheline(r: Reader): Micheline {
  return readNode(r);
}

/** `lazy_expr`: a Micheline expression inside a dyn region. */
export function readLazyExpr(r: Reader, what = 'Michelson expression'): Micheline {
  return r.dyn(what, readNode);
}
