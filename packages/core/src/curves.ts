import type { CurveFn } from '@noble/curves/abstract/weierstrass';
import { p256 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';
import type { PrefixName } from './base58';

/**
 * The signature curves Tezos uses, in binary-tag order, with the base58 prefixes of each form, the
 * binary tag (Octez `Signature.Public_key` / `public_key_hash` encodings), raw sizes and the JWK
 * `crv` name node:crypto gives the key (null: node:crypto has none). Every other curve map is derived.
 */
export const CURVES = {
  ed25519: { pkh: 'tz1', pk: 'edpk', sig: 'edsig', sk: 'edsk32', esk: 'edesk', tag: 0, pkLength: 32, sigLength: 64, jwk: 'Ed25519' },
  secp256k1: { pkh: 'tz2', pk: 'sppk', sig: 'spsig1', sk: 'spsk', esk: 'spesk', tag: 1, pkLength: 33, sigLength: 64, jwk: 'secp256k1' },
  p256: { pkh: 'tz3', pk: 'p2pk', sig: 'p2sig', sk: 'p2sk', esk: 'p2esk', tag: 2, pkLength: 33, sigLength: 64, jwk: 'P-256' },
  bls: { pkh: 'tz4', pk: 'BLpk', sig: 'BLsig', sk: 'BLsk', esk: 'BLesk', tag: 3, pkLength: 48, sigLength: 96, jwk: null },
} as const;
export type Curve = keyof typeof CURVES;
/** The curves that sign with ECDSA: signatures are r‖s, 32 bytes each. */
export type EcdsaCurve = 'secp256k1' | 'p256';
/** Every curve, in tag order. */
export const CURVE_NAMES = Object.keys(CURVES) as Curve[];

type PrefixColumn = 'pkh' | 'pk' | 'sig' | 'sk' | 'esk';
/** A prefix column of CURVES inverted: prefix -> curve. */
export type CurveOf<F extends PrefixColumn> = { readonly [C in Curve as (typeof CURVES)[C][F]]: C };
export function curveOf<F extends PrefixColumn>(column: F): CurveOf<F> {
  return Object.fromEntries(CURVE_NAMES.map((c) => [CURVES[c][column], c])) as CurveOf<F>;
}
/** The prefixes of one column, in tag order (the list b58Decode takes). */
export function prefixesOf<F extends PrefixColumn>(column: F): readonly (typeof CURVES)[Curve][F][] {
  return CURVE_NAMES.map((c) => CURVES[c][column]);
}

/** Curve of a public-key prefix / pkh prefix. */
export const CURVE_OF_PK = curveOf('pk');
export const CURVE_OF_PKH = curveOf('pkh');
/** tz1..tz4, in tag order. */
export const PKH_PREFIXES = prefixesOf('pkh');
export type PkhPrefix = (typeof PKH_PREFIXES)[number];

/**
 * The key types of Octez's `public_key_hash` / `public_key` encodings, by binary tag: the four curves,
 * then ML-DSA-44 (tag 4, tz5/mdpk), which the codec decodes but nothing here signs with.
 */
export const KEY_TAGS: readonly { readonly name: string; readonly pkh: PrefixName; readonly pk: PrefixName; readonly pkLength: number }[] =
  [
    ...Object.entries(CURVES)
      .sort(([, a], [, b]) => a.tag - b.tag)
      .map(([name, c]) => ({ name, pkh: c.pkh, pk: c.pk, pkLength: c.pkLength })),
    { name: 'ML-DSA-44', pkh: 'tz5', pk: 'mdpk', pkLength: 1312 },
  ];
export type KeyTag = (typeof KEY_TAGS)[number];

/** Curve of a binary tag (0 ed25519, 1 secp256k1, 2 P-256, 3 BLS); undefined for anything else. */
export function curveOfTag(tag: number): Curve | undefined {
  return (Object.keys(CURVES) as Curve[]).find((c) => CURVES[c].tag === tag);
}

/** Group orders n (SEC 2 secp256k1, FIPS 186 P-256). */
export const CURVE_ORDER: Record<EcdsaCurve, bigint> = {
  secp256k1: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
  p256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
};

/**
 * The @noble/curves implementation of an ECDSA curve. noble rather than elliptic: it is about
 * twice as fast in plain Node, and elliptic runs 100-200 times slower still under jest (measured:
 * P-256 verify 1 s vs 5 ms), which made tests of hundreds of signatures impractical.
 */
export function ecdsaCurve(curve: EcdsaCurve): CurveFn {
  return curve === 'p256' ? p256 : secp256k1;
}

/** DER prefixes that wrap a raw Ed25519 key for node:crypto (RFC 8410). */
export const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
export const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
