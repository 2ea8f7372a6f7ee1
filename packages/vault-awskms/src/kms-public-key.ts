import { encodePublicKey, pkhOf, type PublicKey } from '@signatory-ts/core';

type Curve = PublicKey['curve'];

/** The Tezos key types a KMS key can be, with the KMS KeySpec that makes each. tz4 (BLS) has none. */
export const KEY_SPEC_BY_TYPE = {
  tz1: 'ECC_NIST_EDWARDS25519',
  tz2: 'ECC_SECG_P256K1',
  tz3: 'ECC_NIST_P256',
} as const;
export type KmsKeyType = keyof typeof KEY_SPEC_BY_TYPE;
export type KmsKeySpec = (typeof KEY_SPEC_BY_TYPE)[KmsKeyType];

const TYPE_OF_CURVE: Partial<Record<Curve, KmsKeyType>> = { ed25519: 'tz1', secp256k1: 'tz2', p256: 'tz3' };

/** The Tezos key type (tz1/tz2/tz3) of a curve, undefined for curves KMS cannot hold (BLS). */
export function kmsKeyType(curve: Curve): KmsKeyType | undefined {
  return TYPE_OF_CURVE[curve];
}

export interface TezosPublicKey {
  readonly type: KmsKeyType;
  readonly pkh: string;
  readonly publicKey: string;
}

/**
 * A public key (read from a KMS GetPublicKey SPKI with core's publicKeyFromSpki) as the Tezos key a
 * KMS key holds: type, address and edpk/sppk/p2pk. Throws a TypeError for BLS, which KMS cannot hold.
 */
export function kmsTezosKey(pk: PublicKey): TezosPublicKey {
  const type = kmsKeyType(pk.curve);
  if (type === undefined) throw new TypeError(`public key is ${pk.curve}, which KMS cannot hold`);
  return { type, pkh: pkhOf(pk), publicKey: encodePublicKey(pk) };
}
