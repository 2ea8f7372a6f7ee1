import type { KeySpec, MessageType, SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { CURVES, orList, type Curve } from '@signatory-ts/core';

/**
 * The curves a KMS key can hold, with the KMS key spec that makes each and how it signs. Tezos signs
 * the blake2b-256 digest of the request: ECDSA keys take it as the DIGEST (KMS must not hash it
 * again); Ed25519 keys sign it as a RAW 32-byte message with pure Ed25519 (ED25519_PH_SHA_512 would
 * give signatures Tezos rejects). BLS (tz4) has no KMS key spec.
 */
export const KMS_CURVES = {
  ed25519: { keySpec: 'ECC_NIST_EDWARDS25519', algorithm: 'ED25519_SHA_512', messageType: 'RAW' },
  secp256k1: { keySpec: 'ECC_SECG_P256K1', algorithm: 'ECDSA_SHA_256', messageType: 'DIGEST' },
  p256: { keySpec: 'ECC_NIST_P256', algorithm: 'ECDSA_SHA_256', messageType: 'DIGEST' },
} as const satisfies Partial<Record<Curve, { keySpec: KeySpec; algorithm: SigningAlgorithmSpec; messageType: MessageType }>>;
export type KmsCurve = keyof typeof KMS_CURVES;
const KMS_CURVE_NAMES = Object.keys(KMS_CURVES) as KmsCurve[];

/** How each KMS key spec that can hold a Tezos key signs, and its curve (derived from KMS_CURVES). */
export const SIGNING_BY_KEY_SPEC: Record<string, { curve: Curve; algorithm: SigningAlgorithmSpec; messageType: MessageType }> =
  Object.fromEntries(
    KMS_CURVE_NAMES.map((curve) => {
      const { keySpec, algorithm, messageType } = KMS_CURVES[curve];
      return [keySpec, { curve, algorithm, messageType }];
    }),
  );

const USABLE = `Tezos keys are ${orList(KMS_CURVE_NAMES.map((c) => `${KMS_CURVES[c].keySpec} (${CURVES[c].pkh})`))}`;

/** Why a key of this spec cannot hold a Tezos key, in words for the operator. */
export function unusableKeySpec(spec: string | undefined): string {
  if (spec === undefined) return `KMS did not say the key spec; ${USABLE}`;
  if (spec === 'SYMMETRIC_DEFAULT') return `symmetric encryption key (${spec}), not a signing key; ${USABLE}`;
  if (spec.startsWith('HMAC_')) return `HMAC key (${spec}), not a signing key; ${USABLE}`;
  if (spec.startsWith('RSA_')) return `RSA key (${spec}): Tezos has no RSA accounts; ${USABLE}`;
  if (spec.startsWith('ECC_')) return `curve ${spec} is not one Tezos uses; ${USABLE}`;
  return `key spec ${spec} is not supported; ${USABLE}`;
}
