import type { MessageType, SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import type { Curve } from '@signatory-ts/core';

/**
 * How each KMS key spec that can hold a Tezos key signs. Tezos signs the blake2b-256 digest of the
 * request: ECDSA keys take it as the DIGEST (KMS must not hash it again); Ed25519 keys sign it as
 * a RAW 32-byte message with pure Ed25519 (ED25519_PH_SHA_512 would give signatures Tezos rejects).
 */
export const SIGNING_BY_KEY_SPEC: Record<string, { curve: Curve; algorithm: SigningAlgorithmSpec; messageType: MessageType }> = {
  ECC_NIST_EDWARDS25519: { curve: 'ed25519', algorithm: 'ED25519_SHA_512', messageType: 'RAW' },
  ECC_SECG_P256K1: { curve: 'secp256k1', algorithm: 'ECDSA_SHA_256', messageType: 'DIGEST' },
  ECC_NIST_P256: { curve: 'p256', algorithm: 'ECDSA_SHA_256', messageType: 'DIGEST' },
};

const USABLE = 'Tezos keys are ECC_NIST_EDWARDS25519 (tz1), ECC_SECG_P256K1 (tz2) or ECC_NIST_P256 (tz3)';

/** Why a key of this spec cannot hold a Tezos key, in words for the operator. */
export function unusableKeySpec(spec: string | undefined): string {
  if (spec === undefined) return `KMS did not say the key spec; ${USABLE}`;
  if (spec === 'SYMMETRIC_DEFAULT') return `symmetric encryption key (${spec}), not a signing key; ${USABLE}`;
  if (spec.startsWith('HMAC_')) return `HMAC key (${spec}), not a signing key; ${USABLE}`;
  if (spec.startsWith('RSA_')) return `RSA key (${spec}): Tezos has no RSA accounts; ${USABLE}`;
  if (spec.startsWith('ECC_')) return `curve ${spec} is not one Tezos uses; ${USABLE}`;
  return `key spec ${spec} is not supported; ${USABLE}`;
}
