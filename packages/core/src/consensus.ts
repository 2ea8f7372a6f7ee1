import { B58 } from './b58';
import type { PkhPrefix } from './curves';
import { orList } from './decode-error';
import type { Reader } from './reader';
import { readZ } from './zarith';

/**
 * Consensus contents (preattestation / attestation), as signed under 0x12 / 0x13 and as inlined
 * in denunciations. Tags 20/21/23 carry a slot (tz1-3 consensus keys); the BLS-mode tags 40/41
 * (tz4 keys, Seoul+) carry none, and 23 adds the DAL attestation bitset as a Zarith Z.
 */
export interface ConsensusTagSpec {
  readonly tag: number;
  /** Request kind (REQUEST_KINDS name). */
  readonly kind: 'preattestation' | 'attestation' | 'attestation_with_dal';
  /** Magic byte this content is signed under. */
  readonly magic: 0x12 | 0x13;
  readonly slot: boolean;
  readonly dal: boolean;
  /** BLS mode: only tz4 keys send it; tz1-3 keys never do. */
  readonly bls: boolean;
  /** Byte length of the whole request (magic included), or the minimum when a Z follows. */
  readonly length: number;
}

export const CONSENSUS_TAGS: Readonly<Record<number, ConsensusTagSpec>> = {
  20: { tag: 20, kind: 'preattestation', magic: 0x12, slot: true, dal: false, bls: false, length: 80 },
  21: { tag: 21, kind: 'attestation', magic: 0x13, slot: true, dal: false, bls: false, length: 80 },
  23: { tag: 23, kind: 'attestation_with_dal', magic: 0x13, slot: true, dal: true, bls: false, length: 81 },
  40: { tag: 40, kind: 'preattestation', magic: 0x12, slot: false, dal: false, bls: true, length: 78 },
  41: { tag: 41, kind: 'attestation', magic: 0x13, slot: false, dal: false, bls: true, length: 78 },
};

/** Tezos JSON name of each consensus content tag (used inside denunciations): CONSENSUS_TAGS and the aggregates. */
export const CONSENSUS_CONTENT_NAMES: Readonly<Record<number, string>> = {
  ...Object.fromEntries(Object.values(CONSENSUS_TAGS).map((s) => [s.tag, s.kind])),
  30: 'preattestations_aggregate',
  31: 'attestations_aggregate',
};

/** The type of a signing key: its pkh prefix, tz1..tz4. */
export type SignerKeyType = PkhPrefix;

/** Consensus content tags: all of them, or those a condition picks, in ascending order. */
export function consensusTags(pick: (spec: ConsensusTagSpec) => boolean = () => true): number[] {
  return Object.values(CONSENSUS_TAGS)
    .filter(pick)
    .map((s) => s.tag);
}
const BLS_TAGS = orList(consensusTags((s) => s.bls));
const NON_BLS_TAGS = orList(consensusTags((s) => !s.bls));

/** Refuses a consensus tag the signing key's type never sends (tz4: 40/41; tz1-3: 20/21/23). */
export function checkKeyType(r: Reader, spec: ConsensusTagSpec, keyType: SignerKeyType | undefined, at: number): void {
  if (keyType === undefined) return;
  if (spec.bls !== (keyType === 'tz4')) {
    r.fail(
      'key_type_mismatch',
      keyType === 'tz4' ? `consensus tag ${BLS_TAGS} (BLS mode) for a tz4 key` : `consensus tag ${NON_BLS_TAGS} for a ${keyType} key`,
      `got tag ${spec.tag}`,
      at,
    );
  }
}

/** Consensus content after the tag: {slot?, level, round, block_payload_hash, dal_attestation?}. */
export function readConsensusContent(r: Reader, spec: ConsensusTagSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (spec.slot) out.slot = r.u16('slot');
  out.level = readNonNegative(r, 'level');
  out.round = readNonNegative(r, 'round');
  out.block_payload_hash = new B58('vh', r.fixed(32, 'block payload hash'));
  if (spec.dal) out.dal_attestation = readZ(r, 'DAL attestation');
  return out;
}

/** Levels and rounds are int32 values the protocol requires to be >= 0. */
export function readNonNegative(r: Reader, what: string): number {
  const at = r.pos;
  const v = r.i32(what);
  if (v < 0) r.fail('bad_value', `${what} >= 0`, `got ${v}`, at);
  return v;
}
