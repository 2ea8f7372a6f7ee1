/**
 * The vocabulary that policy, config and the codec share: request kinds (what the magic byte
 * and consensus tag make of a request) and generic operation kinds (what a 0x03 request holds).
 * Names are Tezos's (and Go Signatory's), so a signatory.yaml written for Signatory means the same here.
 */

/** Request kinds a policy may allow (`tezos.<pkh>.allow.<kind>`), as `signatory-cli list-requests` prints them. */
export const REQUEST_KINDS = ['attestation', 'attestation_with_dal', 'block', 'generic', 'pack', 'preattestation'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/**
 * Kinds the decoder recognises only to refuse them by name: magic bytes 0x01 (Emmy block) and
 * 0x02 (Emmy endorsement), obsolete since 2022. No policy can allow them.
 */
export const LEGACY_REQUEST_KINDS = ['legacy_block', 'legacy_endorsement'] as const;
export type LegacyRequestKind = (typeof LEGACY_REQUEST_KINDS)[number];

/** The request kinds that carry (chain, level, round) and are protected by the high watermark. */
export const CONSENSUS_KINDS = ['block', 'preattestation', 'attestation', 'attestation_with_dal'] as const;
export type ConsensusKind = (typeof CONSENSUS_KINDS)[number];

/** Default policy for a key listed with a null value (Signatory's order, not sorted). */
export const DEFAULT_ALLOWED_REQUESTS: readonly RequestKind[] = ['block', 'preattestation', 'attestation'];

/** Operation kinds that may appear in a generic (0x03) request (OPERATION_KINDS, protocols.ts, lists them). */
export type { OperationKind } from './operation-table';

/**
 * Pseudo-operations: a transaction to the sender's own implicit account with one of these
 * entrypoints. Policy treats them as their own kinds, so `transaction` does not allow staking.
 */
export const PSEUDO_OPERATION_KINDS = ['finalize_unstake', 'set_delegate_parameters', 'stake', 'unstake'] as const;
export type PseudoOperationKind = (typeof PSEUDO_OPERATION_KINDS)[number];

/** Ballot votes; a policy may allow `ballot` (any vote) or `ballot:yay|nay|pass`. */
export const BALLOT_VOTES = ['yay', 'nay', 'pass'] as const;
export type BallotVote = (typeof BALLOT_VOTES)[number];

/** Old names still accepted in config, rewritten with a deprecation warning. */
export const KIND_ALIASES: Readonly<Record<string, string>> = {
  endorsement: 'attestation',
  preendorsement: 'preattestation',
  double_endorsement_evidence: 'double_attestation_evidence',
  double_preendorsement_evidence: 'double_preattestation_evidence',
};
