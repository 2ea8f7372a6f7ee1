import { B58 } from './b58';
import { readBlockHeader, type BlockHeader } from './block';
import { CONSENSUS_TAGS, checkKeyType, consensusTags, readConsensusContent, type SignerKeyType } from './consensus';
import { DecodeError, orList } from './decode-error';
import type { LegacyRequestKind, RequestKind } from './kinds';
import { readMicheline, type Micheline } from './micheline';
import { readGenericOperation, type DecodedOperation } from './operation';
import { CURRENT_PROTOCOL, type Protocol, type ProtocolTables } from './protocols';
import { Reader } from './reader';

/**
 * The sign-request codec: magic byte -> typed request. Strict: a request decodes only if every byte
 * is consumed. Offsets in errors count the magic byte. Envelope fields are camelCase; operation
 * fields keep their Tezos JSON names. Keys, addresses, hashes and signatures are `B58` values (prefix
 * and bytes; base58 text on demand, also through `toJSON`), Zarith values decimal strings, opaque
 * bytes hex, so `JSON.stringify` gives the JSON form as is.
 */
export interface BlockRequest extends BlockHeader {
  kind: 'block';
  magic: 0x11;
  chainId: B58;
}

export interface ConsensusRequest {
  kind: 'preattestation' | 'attestation' | 'attestation_with_dal';
  magic: 0x12 | 0x13;
  chainId: B58;
  branch: B58;
  /** Consensus content tag: 20/21/23, or 40/41 in BLS mode (tz4). */
  tag: 20 | 21 | 23 | 40 | 41;
  blsMode: boolean;
  /** Absent in BLS mode. */
  slot?: number;
  level: number;
  round: number;
  blockPayloadHash: B58;
  /** Tag 23 only: the DAL attestation bitset (Zarith Z), decimal. */
  dalAttestation?: string;
}

export interface GenericRequest {
  kind: 'generic';
  magic: 0x03;
  branch: B58;
  operations: DecodedOperation[];
}

export interface PackRequest {
  kind: 'pack';
  magic: 0x05;
  value: Micheline;
}

/** Obsolete Emmy requests, recognised only so policy can refuse them by name. */
export interface LegacyRequest {
  kind: LegacyRequestKind;
  magic: 0x01 | 0x02;
  chainId: B58;
  level: number;
}

export type SignRequest = BlockRequest | ConsensusRequest | GenericRequest | PackRequest | LegacyRequest;
export type SignRequestKind = RequestKind | LegacyRequestKind;

export interface ParseOptions {
  /** Protocol tables to decode generic operations with (default: CURRENT_PROTOCOL), by name or resolved. */
  protocol?: Protocol | ProtocolTables;
}

/** A consensus magic byte's contents, from CONSENSUS_TAGS: "preattestation (tag 20) or BLS-mode preattestation (40)". */
const consensusContents = (magic: 0x12 | 0x13): string =>
  orList(
    Object.values(CONSENSUS_TAGS)
      .filter((s) => s.magic === magic)
      .map((s, i) => `${s.bls ? 'BLS-mode ' : ''}${s.kind} (${i === 0 ? 'tag ' : ''}${s.tag})`),
  );

/**
 * Magic bytes and what they are, for docs and error messages. `kind` is null where the kind comes from a
 * consensus tag (0x13) or there is none (0x04); `refused` bytes are recognised only to be refused.
 */
export const MAGIC_BYTES: readonly { magic: number; kind: SignRequestKind | null; refused: boolean; what: string }[] = [
  { magic: 0x01, kind: 'legacy_block', refused: true, what: 'Emmy block (obsolete since 2022; recognised only to be refused)' },
  { magic: 0x02, kind: 'legacy_endorsement', refused: true, what: 'Emmy endorsement (obsolete; recognised only to be refused)' },
  { magic: 0x03, kind: 'generic', refused: false, what: 'generic operation: branch and operations' },
  { magic: 0x04, kind: null, refused: true, what: 'client authentication message prefix: never a sign request' },
  { magic: 0x05, kind: 'pack', refused: false, what: 'Michelson packed data (PACK)' },
  { magic: 0x11, kind: 'block', refused: false, what: 'Tenderbake block header' },
  { magic: 0x12, kind: 'preattestation', refused: false, what: consensusContents(0x12) },
  { magic: 0x13, kind: null, refused: false, what: consensusContents(0x13) },
];

const hexByte = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;
/** "magic byte 0x03 (generic), …, 0x12 (preattestation) or 0x13 (attestation)": the bytes decoded, from MAGIC_BYTES. */
const EXPECTED_MAGIC = `magic byte ${orList(
  MAGIC_BYTES.filter((m) => !m.refused).map(
    (m) => `${hexByte(m.magic)} (${m.kind ?? Object.values(CONSENSUS_TAGS).find((s) => s.magic === m.magic)!.kind})`,
  ),
)}`;

const chainId = (r: Reader): B58 => new B58('Net', r.fixed(4, 'chain id'));
const EXPECTED_TAGS = {
  0x12: `preattestation tag ${orList(consensusTags((s) => s.magic === 0x12))}`,
  0x13: `attestation tag ${orList(consensusTags((s) => s.magic === 0x13))}`,
} as const;

function parseConsensus(r: Reader, magic: 0x12 | 0x13, keyType: SignerKeyType | undefined): ConsensusRequest {
  const chain = chainId(r);
  const branch = new B58('B', r.fixed(32, 'branch'));
  const at = r.pos;
  const tag = r.u8('consensus operation tag');
  const spec = CONSENSUS_TAGS[tag];
  if (spec === undefined || spec.magic !== magic) {
    r.fail('unknown_tag', EXPECTED_TAGS[magic], `got tag ${tag}`, at);
  }
  checkKeyType(r, spec, keyType, at);
  const c = readConsensusContent(r, spec);
  const out: ConsensusRequest = {
    kind: spec.kind,
    magic,
    chainId: chain,
    branch,
    tag: tag as ConsensusRequest['tag'],
    blsMode: spec.bls,
    level: c.level as number,
    round: c.round as number,
    blockPayloadHash: c.block_payload_hash as B58,
  };
  if (spec.slot) out.slot = c.slot as number;
  if (spec.dal) out.dalAttestation = c.dal_attestation as string;
  return out;
}

/**
 * Decodes a sign request (magic byte included). `signerKeyType` is the type of the key asked to sign:
 * given, a consensus tag that key type never sends is refused (tz4: 40/41 only; tz1-3: 20/21/23).
 * Throws DecodeError (code bad_request) for anything malformed, unknown or never signable.
 */
export function parseSignRequest(bytes: Uint8Array, signerKeyType?: SignerKeyType, options: ParseOptions = {}): SignRequest {
  const r = new Reader(bytes, options.protocol ?? CURRENT_PROTOCOL);
  const magic = r.u8('magic byte');
  let out: SignRequest;
  switch (magic) {
    case 0x11: {
      const chain = chainId(r);
      out = { kind: 'block', magic, chainId: chain, ...readBlockHeader(r) };
      break;
    }
    case 0x12:
    case 0x13:
      out = parseConsensus(r, magic, signerKeyType);
      break;
    case 0x03:
      out = { kind: 'generic', magic, ...readGenericOperation(r) };
      break;
    case 0x05:
      out = { kind: 'pack', magic, value: readMicheline(r) };
      break;
    case 0x01: {
      // chain id, then an Emmy shell header; only the level is read (the request is refused by kind)
      const chain = chainId(r);
      out = { kind: 'legacy_block', magic, chainId: chain, level: r.i32('level') };
      return out;
    }
    case 0x02: {
      const chain = chainId(r);
      r.fixed(32, 'branch');
      const at = r.pos;
      const tag = r.u8('endorsement tag');
      if (tag !== 0) r.fail('unknown_tag', 'Emmy endorsement tag 0', `got tag ${tag}`, at);
      out = { kind: 'legacy_endorsement', magic, chainId: chain, level: r.i32('level') };
      break;
    }
    case 0x04:
      throw new DecodeError(
        'not_a_sign_request',
        0,
        'a sign request',
        '0x04 prefixes client authentication messages; a signer never signs it',
      );
    default:
      throw new DecodeError('unknown_magic', 0, EXPECTED_MAGIC, `got ${hexByte(magic)}`);
  }
  r.expectEnd();
  return out;
}
