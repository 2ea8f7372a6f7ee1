import { b58Encode } from './base58';
import { readBlockHeader } from './block';
import { CONSENSUS_TAGS, checkKeyType, type SignerKeyType } from './consensus';
import type { ConsensusKind } from './kinds';
import { DecodeError } from './decode-error';
import { CURRENT_PROTOCOL } from './protocols';
import { Reader } from './reader';
import { readZ } from './zarith';

/** What the high watermark needs from a consensus request. chainId is the raw 4 bytes as a u32. */
export interface WatermarkFields {
  kind: ConsensusKind;
  magic: 0x11 | 0x12 | 0x13;
  chainId: number;
  level: number;
  round: number;
}

/**
 * The hot path: validates a block (0x11), preattestation (0x12) or attestation (0x13) request as
 * strictly as parseSignRequest does, and reads chain, level and round at fixed offsets, without
 * base58 or hex. Returns undefined for the other magic bytes (use parseSignRequest for those);
 * throws DecodeError for a malformed consensus request or one whose tag does not fit the key type.
 */
export function readWatermarkFields(bytes: Uint8Array, signerKeyType?: SignerKeyType): WatermarkFields | undefined {
  const magic = bytes[0];
  if (magic !== 0x11 && magic !== 0x12 && magic !== 0x13) return undefined;
  const n = bytes.length;
  if (n < 5) new Reader(bytes, CURRENT_PROTOCOL, 1).need(4, 'chain id');
  const chainId = ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0;
  if (magic === 0x11) {
    const r = new Reader(bytes, CURRENT_PROTOCOL, 5);
    const h = readBlockHeader(r, false);
    r.expectEnd();
    return { kind: 'block', magic, chainId, level: h.level, round: h.round };
  }
  if (n < 38) new Reader(bytes, CURRENT_PROTOCOL, 5).need(33, 'branch and operation tag');
  const tag = bytes[37]!;
  const spec = CONSENSUS_TAGS[tag];
  if (spec === undefined || spec.magic !== magic) {
    throw new DecodeError(
      'unknown_tag',
      37,
      magic === 0x12 ? 'preattestation tag 20 or 40' : 'attestation tag 21, 23 or 41',
      `got tag ${tag}`,
    );
  }
  if (signerKeyType !== undefined) checkKeyType(new Reader(bytes), spec, signerKeyType, 37);
  const o = spec.slot ? 40 : 38;
  // same order of checks as the full decoder: level, round, then the rest
  const level = n >= o + 4 ? (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]! : 0;
  if (level < 0) throw new DecodeError('bad_value', o, 'level >= 0', `got ${level}`);
  const round = n >= o + 8 ? (bytes[o + 4]! << 24) | (bytes[o + 5]! << 16) | (bytes[o + 6]! << 8) | bytes[o + 7]! : 0;
  if (round < 0) throw new DecodeError('bad_value', o + 4, 'round >= 0', `got ${round}`);
  if (spec.dal) {
    const r = new Reader(bytes, CURRENT_PROTOCOL, 38);
    r.need(42, 'slot, level, round and block payload hash');
    r.pos = 80;
    readZ(r, 'DAL attestation');
    r.expectEnd();
  } else if (n !== spec.length) {
    const r = new Reader(bytes, CURRENT_PROTOCOL, 38);
    if (n < spec.length)
      r.need(spec.length - 38, spec.slot ? 'slot, level, round and block payload hash' : 'level, round and block payload hash');
    r.pos = spec.length;
    r.expectEnd();
  }
  return { kind: spec.kind, magic, chainId, level, round };
}

const chainNames = new Map<number, string>();

/** Base58 `Net…` form of a u32 chain id (cached: a signer sees one or two chains). */
export function chainIdToB58(chainId: number): string {
  let s = chainNames.get(chainId);
  if (s === undefined) {
    const b = new Uint8Array([chainId >>> 24, (chainId >>> 16) & 0xff, (chainId >>> 8) & 0xff, chainId & 0xff]);
    s = b58Encode('Net', b);
    if (chainNames.size < 64) chainNames.set(chainId, s);
  }
  return s;
}
