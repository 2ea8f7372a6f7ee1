import { CURVES, encodePublicKey, pkhOf, type Curve, type PublicKey } from '@signatory-ts/core';
import { KMS_CURVES, type KmsCurve } from './key-spec';

/** The Tezos key types a KMS key can be (tz1/tz2/tz3; tz4, BLS, has none). */
export type KmsKeyType = (typeof CURVES)[KmsCurve]['pkh'];
export type KmsKeySpec = (typeof KMS_CURVES)[KmsCurve]['keySpec'];

const isKmsCurve = (curve: Curve): curve is KmsCurve => Object.hasOwn(KMS_CURVES, curve);

/** The KMS KeySpec that makes each Tezos key type (derived from KMS_CURVES). */
export const KEY_SPEC_BY_TYPE = Object.fromEntries(
  (Object.keys(KMS_CURVES) as KmsCurve[]).map((c) => [CURVES[c].pkh, KMS_CURVES[c].keySpec]),
) as Readonly<Record<KmsKeyType, KmsKeySpec>>;

/** The Tezos key type (tz1/tz2/tz3) of a curve, undefined for curves KMS cannot hold (BLS). */
export function kmsKeyType(curve: Curve): KmsKeyType | undefined {
  return isKmsCurve(curve) ? CURVES[curve].pkh : undefined;
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
