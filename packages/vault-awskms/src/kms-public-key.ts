import { createPublicKey } from 'node:crypto';
import { b58Encode, publicKeyHash } from '@signatory-ts/core';

/** The Tezos key types a KMS key can be, with the KMS KeySpec that makes each. tz4 (BLS) has none. */
export const KEY_SPEC_BY_TYPE = {
  tz1: 'ECC_NIST_EDWARDS25519',
  tz2: 'ECC_SECG_P256K1',
  tz3: 'ECC_NIST_P256',
} as const;
export type KmsKeyType = keyof typeof KEY_SPEC_BY_TYPE;
export type KmsKeySpec = (typeof KEY_SPEC_BY_TYPE)[KmsKeyType];

const PK_PREFIX = { tz1: 'edpk', tz2: 'sppk', tz3: 'p2pk' } as const;
const CURVE_TYPE: Record<string, KmsKeyType> = { Ed25519: 'tz1', secp256k1: 'tz2', 'P-256': 'tz3' };

export interface TezosPublicKey {
  readonly type: KmsKeyType;
  readonly pkh: string;
  readonly publicKey: string;
}

/**
 * A Tezos public key from the DER SubjectPublicKeyInfo that KMS GetPublicKey returns (EC points
 * compressed to 33 bytes, Ed25519 raw 32 bytes). Throws for any other algorithm or curve.
 */
export function tezosPublicKeyFromSpki(spki: Uint8Array): TezosPublicKey {
  const jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  const type = CURVE_TYPE[jwk.crv ?? ''];
  if (type === undefined || jwk.x === undefined) {
    throw new TypeError(`public key is ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''}, not Ed25519, secp256k1 or P-256`);
  }
  const x = Buffer.from(jwk.x, 'base64url');
  let raw: Uint8Array;
  if (type === 'tz1') {
    raw = x;
  } else {
    const y = Buffer.from(jwk.y ?? '', 'base64url');
    raw = Buffer.concat([Buffer.from([0x02 | ((y[y.length - 1] ?? 0) & 1)]), x]);
  }
  const publicKey = b58Encode(PK_PREFIX[type], raw);
  return { type, pkh: publicKeyHash(publicKey), publicKey };
}
