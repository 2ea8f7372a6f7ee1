import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { normalizeZ, wNAF } from '@noble/curves/abstract/curve';
import type { CurveFn } from '@noble/curves/abstract/weierstrass';
import { bytesToNumberBE } from '@noble/curves/utils';
import { b58Decode, b58Encode, type PrefixName } from './base58';
import { curveOf, CURVES, ecdsaCurve, ED25519_SPKI_PREFIX, prefixesOf, type Curve, type EcdsaCurve } from './curves';
import { blake2b256 } from './hash';
import { parsePublicKey, type PublicKey } from './public-key';

export { derToCompact, DerError } from './der';

/** A raw Tezos signature: 64 bytes (ed25519 R‖S, ECDSA r‖s) or 96 bytes (BLS). */
export interface Signature {
  readonly curve: Curve;
  readonly bytes: Uint8Array;
}

/** r‖s as noble's signature; throws for another length than 64 or r, s outside 1..n−1. */
function ecdsaSignature(compact: Uint8Array, curve: EcdsaCurve) {
  if (compact.length !== 64) throw new TypeError(`ECDSA signature must be 64 bytes r‖s, got ${compact.length}`);
  return ecdsaCurve(curve).Signature.fromBytes(compact, 'compact');
}

/** True when s > n/2 (a "high-S" signature, which libsecp256k1, and so Octez, rejects for tz2). */
export function isHighS(compact: Uint8Array, curve: EcdsaCurve): boolean {
  return ecdsaSignature(compact, curve).hasHighS();
}

/** Returns r‖s with s replaced by n − s when s is high; low-S input is returned unchanged. */
export function normalizeLowS(compact: Uint8Array, curve: EcdsaCurve): Uint8Array {
  const sig = ecdsaSignature(compact, curve);
  return sig.hasHighS() ? sig.normalizeS().toBytes('compact') : compact;
}

/** The curve-specific base58 form (edsig / spsig1 / p2sig / BLsig), as Octez and Signatory return. */
export function encodeSignature(curve: Curve, raw: Uint8Array): string {
  return b58Encode(CURVES[curve].sig, raw);
}

/** The generic `sig…` form of a 64-byte ed25519 / secp256k1 / P-256 signature. */
export function encodeGenericSignature(raw: Uint8Array): string {
  return b58Encode('sig', raw);
}

const SIG_PREFIXES = [...prefixesOf('sig'), 'sig'] as const satisfies readonly PrefixName[];
const CURVE_OF_SIG = curveOf('sig');

/** Parses a base58 signature; `curve` is undefined for the generic `sig` form. */
export function parseSignature(text: string): { curve?: Curve; bytes: Uint8Array } {
  const { prefix, payload } = b58Decode(text, SIG_PREFIXES);
  return prefix === 'sig' ? { bytes: payload } : { curve: CURVE_OF_SIG[prefix], bytes: payload };
}

/** Checks a signature over an already computed 32-byte blake2b digest. */
export type DigestVerifier = (digest: Uint8Array, signature: Uint8Array) => boolean;

/**
 * Width of the wNAF table cached for each key's point. Window 8 (what noble uses for the base
 * point) makes a verification 4-6 times faster (P-256 ~2.2 → 0.36 ms, secp256k1 ~1.4 → 0.35 ms of
 * CPU); the table (~4k points) costs ~40 ms of CPU to build, twice that for the first key of a curve
 * (the base point's table too), so it is only worth it for verifiers kept per key.
 */
const KEY_WINDOW = 8;

/**
 * One-shot verifications a kept verifier makes before it builds its key's table. Built at once, the
 * table would stall a key's first request by ~40-80 ms and cost a process that checks a few signatures
 * (a CLI run, a config reload's new vault, a key that signs rarely) more than it saves. After 32
 * checks, the one-shot ones have cost about what the table costs: rent, then buy, so never more than
 * about twice the better of the two.
 */
const TABLE_AFTER = 32;

type EcPoint = InstanceType<CurveFn['Point']>;
type EcSum = (u1: bigint, u2: bigint) => EcPoint;

/**
 * Per curve: noble's variable-time wNAF over full-length scalars, with a base point of its own whose
 * window-8 table is built on first use (~30-50 ms, once). noble's own tables cannot serve it:
 * secp256k1's are made for its endomorphism split (half-length scalars).
 */
const fullLength = new Map<EcdsaCurve, { readonly w: wNAF<CurveFn['Point']>; readonly G: EcPoint }>();
function fullLengthWnaf(curve: EcdsaCurve) {
  let t = fullLength.get(curve);
  if (t === undefined) {
    const { Point } = ecdsaCurve(curve);
    const w = new wNAF(Point, Point.Fn.BITS);
    const G = Point.fromAffine(Point.BASE.toAffine());
    w.createCache(G, KEY_WINDOW);
    t = { w, G };
    fullLength.set(curve, t);
  }
  return t;
}

/**
 * u1·G + u2·P by noble's variable-time wNAF over the curve's G table and a table for P built here, summed
 * into one point (public data, as in any verification). multiplyUnsafe would take noble's constant-time
 * path for a point with a table and normalise each product (a field inversion): ~25% slower.
 * The tables belong to point objects of their own, which never reach noble's own Point methods
 * (multiply, multiplyUnsafe, precompute): noble keeps one table per point object, and its own (half-length
 * for secp256k1) would clash with these full-length ones (an 'invalid wNAF' error: a refused signature,
 * never an accepted one).
 */
function tabledSum(curve: EcdsaCurve, P: EcPoint): EcSum {
  const { Point } = ecdsaCurve(curve);
  const { w, G } = fullLengthWnaf(curve);
  const own = Point.fromAffine(P.toAffine());
  w.createCache(own, KEY_WINDOW);
  const toAffineZ = (points: EcPoint[]) => normalizeZ(Point, points);
  return (u1, u2) => w.unsafe(G, u1, toAffineZ, w.unsafe(own, u2, toAffineZ));
}

/** ECDSA check of r‖s over a 32-byte digest (low-S only for secp256k1); `kept`: a table for the key after TABLE_AFTER checks. */
function ecdsaVerifier(curve: EcdsaCurve, publicKey: Uint8Array, kept: boolean): DigestVerifier {
  const { Point } = ecdsaCurve(curve);
  const Fn = Point.Fn;
  const P = Point.fromBytes(publicKey); // on-curve, not infinity: checked once
  const n = Fn.ORDER;
  const { Fp } = Point;
  // u1·G + u2·P, one-shot until the key has earned its table (noble's ladder for P caches nothing on it)
  let sum: EcSum = (u1, u2) => Point.BASE.multiplyUnsafe(u1).add(P.multiplyUnsafe(u2));
  let untilTable = kept ? TABLE_AFTER : Infinity;
  return (digest, sig) => {
    if (sig.length !== 64 || digest.length !== 32) return false;
    const r = bytesToNumberBE(sig.subarray(0, 32));
    const s = bytesToNumberBE(sig.subarray(32));
    if (r === 0n || s === 0n || r >= n || s >= n) return false;
    if (curve === 'secp256k1' && s > n >> 1n) return false;
    if (--untilTable === 0) sum = tabledSum(curve, P);
    // SEC 1 v2 §4.1.4, as noble's own `verify` (which takes only encoded keys, so cannot use the
    // cached table): 256-bit digest and order, so the digest is the integer e mod n.
    try {
      const si = Fn.inv(s);
      const u1 = Fn.create(Fn.create(bytesToNumberBE(digest)) * si);
      const u2 = Fn.create(r * si);
      const R = sum(u1, u2);
      if (R.is0()) return false;
      // R.x mod n == r without converting R to affine (a field inversion): x = X/Z, and x mod n is
      // r exactly when x is r or r + n (the latter only possible when r + n < p)
      if (Fp.eql(R.X, Fp.mul(r, R.Z))) return true;
      return r + n < Fp.ORDER && Fp.eql(R.X, Fp.mul(r + n, R.Z));
    } catch {
      return false;
    }
  };
}

/**
 * A verifier for one key that does the per-key work (key object, point decompression) once, and builds a
 * wNAF table for the point once the key has checked TABLE_AFTER signatures, so a vault can check every
 * signature it returns cheaply. ed25519 uses
 * node:crypto; secp256k1 and P-256 use @noble/curves (node:crypto cannot verify ECDSA over a digest
 * it did not hash itself). secp256k1 refuses high-S as libsecp256k1 (Octez) does; P-256 takes both
 * forms as HACL does. BLS is not supported (no vault of this build holds tz4 keys): always false.
 */
export function createDigestVerifier(pk: PublicKey): DigestVerifier {
  return digestVerifier(pk, true);
}

function digestVerifier(pk: PublicKey, kept: boolean): DigestVerifier {
  switch (pk.curve) {
    case 'ed25519': {
      const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, pk.bytes]), format: 'der', type: 'spki' });
      return (digest, sig) => sig.length === 64 && nodeVerify(null, digest, key, sig);
    }
    case 'secp256k1':
    case 'p256':
      return ecdsaVerifier(pk.curve, pk.bytes, kept);
    case 'bls':
      return () => false;
  }
}

/**
 * Verifies a Tezos signature: blake2b-256 of `message` (the whole request, watermark byte
 * included), then the curve's check. `signature` may be curve-specific base58, generic `sig…`
 * or raw bytes; a prefix naming another curve than the key's gives false.
 */
export function verifySignature(message: Uint8Array, publicKey: PublicKey | string, signature: string | Uint8Array): boolean {
  const pk = typeof publicKey === 'string' ? parsePublicKey(publicKey) : publicKey;
  let raw: Uint8Array;
  if (typeof signature === 'string') {
    const sig = parseSignature(signature);
    if (sig.curve !== undefined && sig.curve !== pk.curve) return false;
    raw = sig.bytes;
  } else {
    raw = signature;
  }
  return digestVerifier(pk, false)(blake2b256(message), raw); // one-shot: a table would not pay off
}
