import { createECDH, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils';
import { b58Decode, b58Encode, type PrefixName } from './base58';
import { curveOf, CURVES, ecdsaCurve, ED25519_SPKI_PREFIX, prefixesOf, type Curve, type EcdsaCurve } from './curves';
import { concatBytes } from './bytes';
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
 * point) makes a verification about 3-4 times faster; the table (~4k points) is built on the
 * first verification, ~100 ms of CPU once per key, so it is only worth it for verifiers kept per key.
 */
const KEY_WINDOW = 8;

/** ECDSA check of r‖s over a 32-byte digest (low-S only for secp256k1), optionally with a cached table. */
function ecdsaVerifier(curve: EcdsaCurve, publicKey: Uint8Array, precompute: boolean): DigestVerifier {
  const { Point } = ecdsaCurve(curve);
  const Fn = Point.Fn;
  const P = Point.fromBytes(publicKey); // on-curve, not infinity: checked once
  if (precompute) P.precompute(KEY_WINDOW);
  const n = Fn.ORDER;
  const { Fp } = Point;
  return (digest, sig) => {
    if (sig.length !== 64 || digest.length !== 32) return false;
    const r = bytesToNumberBE(sig.subarray(0, 32));
    const s = bytesToNumberBE(sig.subarray(32));
    if (r === 0n || s === 0n || r >= n || s >= n) return false;
    if (curve === 'secp256k1' && s > n >> 1n) return false;
    // SEC 1 v2 §4.1.4, as noble's own `verify` (which takes only encoded keys, so cannot use the
    // cached table): 256-bit digest and order, so the digest is the integer e mod n.
    try {
      const si = Fn.inv(s);
      const u1 = Fn.create(Fn.create(bytesToNumberBE(digest)) * si);
      const u2 = Fn.create(r * si);
      const R = Point.BASE.multiplyUnsafe(u1).add(P.multiplyUnsafe(u2));
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
 * P-256 check of r‖s over a 32-byte digest, with OpenSSL doing the scalar multiplications (about
 * twice less CPU than noble's BigInt ones even with a cached table; for secp256k1, OpenSSL's
 * generic code is slower than noble's, so that curve stays with noble). SEC 1 v2 §4.1.4 accepts
 * when R = u1·G + u2·Q has x ≡ r (mod n), where e is the digest's integer mod n, u1 = e/s and
 * u2 = r/s. Since u1 = u2·(e/r), R = u2·(Q + (e/r)·G): OpenSSL's ECDH key generation gives
 * (e/r)·G whole, Q is added here (one affine addition), and OpenSSL's ECDH gives the x of u2 times
 * that point, all the check needs. The two inputs the shortcut cannot take (e ≡ 0, (e/r)·G = ±Q;
 * never met by chance) go to noble's arithmetic. Anything OpenSSL refuses is a signature refused:
 * with the arithmetic right that cannot happen, and a fault here must show, not be papered over.
 * All of it is public data (a key, a digest, a signature): nothing here needs to be constant-time.
 */
function p256Verifier(publicKey: Uint8Array): DigestVerifier {
  const { Point } = ecdsaCurve('p256');
  const { Fp, Fn } = Point;
  const { x: qx, y: qy } = Point.fromBytes(publicKey).toAffine();
  const fallback = ecdsaVerifier('p256', publicKey, false);
  const n = Fn.ORDER;
  return (digest, sig) => {
    if (sig.length !== 64 || digest.length !== 32) return false;
    const r = bytesToNumberBE(sig.subarray(0, 32));
    const s = bytesToNumberBE(sig.subarray(32));
    if (r === 0n || s === 0n || r >= n || s >= n) return false;
    const e = Fn.create(bytesToNumberBE(digest));
    if (e === 0n) return fallback(digest, sig); // (e/r)·G would be the point at infinity
    try {
      const w = Fn.inv(Fn.mul(r, s)); // one inversion for both 1/r and 1/s
      const k = Fn.mul(e, Fn.mul(s, w)); // e/r
      const u2 = Fn.mul(r, Fn.mul(r, w)); // r/s
      P256_ECDH.setPrivateKey(numberToBytesBE(k, 32));
      const kG = P256_ECDH.getPublicKey(); // 04‖x‖y
      const x1 = bytesToNumberBE(kG.subarray(1, 33));
      const y1 = bytesToNumberBE(kG.subarray(33, 65));
      if (x1 === qx) return fallback(digest, sig); // (e/r)·G = ±Q: a doubling, or the point at infinity
      const l = Fp.div(Fp.sub(qy, y1), Fp.sub(qx, x1));
      const x3 = Fp.sub(Fp.sub(Fp.sqr(l), x1), qx);
      const y3 = Fp.sub(Fp.mul(l, Fp.sub(x1, x3)), y1);
      P256_ECDH.setPrivateKey(numberToBytesBE(u2, 32));
      const T = concatBytes(UNCOMPRESSED, numberToBytesBE(x3, 32), numberToBytesBE(y3, 32));
      return Fn.create(bytesToNumberBE(P256_ECDH.computeSecret(T))) === r; // OpenSSL checks that T is on the curve
    } catch {
      return false;
    }
  };
}

/** Reused by every P-256 verifier: its calls are synchronous, so no two verifications use it at once. */
const P256_ECDH = createECDH('prime256v1');
const UNCOMPRESSED = Uint8Array.of(0x04);

/**
 * A verifier for one key that does the per-key work (key object, point decompression, a wNAF table
 * for a secp256k1 point) once, so a vault can check every signature it returns cheaply. ed25519
 * uses node:crypto; secp256k1 @noble/curves and P-256 node:crypto's ECDH with noble (node:crypto's
 * verify cannot check ECDSA over a digest it did not hash itself; see p256Verifier). secp256k1 refuses high-S as libsecp256k1 (Octez) does; P-256 takes both
 * forms as HACL does. BLS is not supported (no vault of this build holds tz4 keys): always false.
 */
export function createDigestVerifier(pk: PublicKey): DigestVerifier {
  return digestVerifier(pk, true);
}

function digestVerifier(pk: PublicKey, precompute: boolean): DigestVerifier {
  switch (pk.curve) {
    case 'ed25519': {
      const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, pk.bytes]), format: 'der', type: 'spki' });
      return (digest, sig) => sig.length === 64 && nodeVerify(null, digest, key, sig);
    }
    case 'secp256k1':
      return ecdsaVerifier(pk.curve, pk.bytes, precompute);
    case 'p256':
      return p256Verifier(pk.bytes);
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
