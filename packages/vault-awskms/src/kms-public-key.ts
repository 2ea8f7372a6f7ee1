import { encodePublicKey, pkhOf, publicKeyFromSpki, type PublicKey } from '@signatory-ts/core';

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

/** A KMS GetPublicKey SPKI read as a Tezos key (core's publicKeyFromSpki); throws for other algorithms. */
export function tezosPublicKeyFromSpki(spki: Uint8Array): TezosPublicKey {
  const pk = publicKeyFromSpki(spki);
  const type = kmsKeyType(pk.curve);
  if (type === undefined) throw new TypeError(`public key is ${pk.curve}, which KMS cannot hold`);
  return { type, pkh: pkhOf(pk), publicKey: encodePublicKey(pk) };
}
