import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { b58Decode, b58Encode } from './base58';
import { concatBytes } from './bytes';
import {
  CURVE_NAMES,
  CURVE_OF_PK,
  CURVE_OF_PKH,
  CURVES,
  curveOfTag,
  ecdsaCurve,
  ED25519_SPKI_PREFIX,
  PKH_PREFIXES,
  prefixesOf,
  type Curve,
  type EcdsaCurve,
} from './curves';
import { orList } from './decode-error';
import { blake2b160 } from './hash';

/** A Tezos public key: its curve and raw bytes (33-byte SEC1 compressed point for secp256k1 and P-256). */
export interface PublicKey {
  readonly curve: Curve;
  readonly bytes: Uint8Array;
}

/**
 * Checks raw key bytes against the curve: right length and, for secp256k1 and P-256, a
 * compressed point that lies on the curve. Returns a copy as a PublicKey; throws a TypeError
 * saying what is wrong.
 */
export function checkPublicKey(curve: Curve, bytes: Uint8Array): PublicKey {
  const want = CURVES[curve].pkLength;
  if (bytes.length !== want) throw new TypeError(`${curve} public key must be ${want} bytes, got ${bytes.length}`);
  if (curve === 'secp256k1' || curve === 'p256') {
    if (bytes[0] !== 0x02 && bytes[0] !== 0x03) {
      throw new TypeError(
        `${curve} public key must be a compressed point (first byte 02 or 03), got ${bytes[0]!.toString(16).padStart(2, '0')}`,
      );
    }
    try {
      ecdsaCurve(curve).Point.fromBytes(bytes).assertValidity();
    } catch {
      throw new TypeError(`${curve} public key is not a point on the curve`);
    }
  }
  return { curve, bytes: Uint8Array.from(bytes) };
}

const PK_PREFIXES = prefixesOf('pk');

/**
 * Parses an edpk / sppk / p2pk / BLpk string; errors say which part (checksum, prefix, length,
 * point not on the curve) was wrong.
 */
export function parsePublicKey(text: string): PublicKey {
  const { prefix, payload } = b58Decode(text, PK_PREFIXES);
  return checkPublicKey(CURVE_OF_PK[prefix], payload);
}

/** edpk / sppk / p2pk / BLpk. */
export function encodePublicKey(pk: PublicKey): string {
  return b58Encode(CURVES[pk.curve].pk, pk.bytes);
}

/** Binary form inside operations: tag byte (0 ed25519, 1 secp256k1, 2 P-256, 3 BLS) then the raw key. */
export function encodePublicKeyTagged(pk: PublicKey): Uint8Array {
  return concatBytes(Uint8Array.of(CURVES[pk.curve].tag), pk.bytes);
}

/** Reads the tagged binary form; the input must be exactly one key. */
export function parsePublicKeyTagged(bytes: Uint8Array): PublicKey {
  const curve = curveOfTag(bytes[0] ?? -1);
  if (curve === undefined) throw new TypeError(`unknown public key tag ${bytes[0] ?? '(empty input)'}`);
  return checkPublicKey(curve, bytes.subarray(1));
}

/** The 20-byte public key hash: blake2b-160 of the raw key, without its tag. */
export function publicKeyHashBytes(pk: PublicKey): Uint8Array {
  return blake2b160(pk.bytes);
}

/** tz1 / tz2 / tz3 / tz4 address of the key. */
export function pkhOf(pk: PublicKey): string {
  return b58Encode(CURVES[pk.curve].pkh, publicKeyHashBytes(pk));
}

/** The 21-byte tagged public key hash (tag + 20 bytes), as operations carry it. */
export function pkhTagged(pk: PublicKey): Uint8Array {
  return concatBytes(Uint8Array.of(CURVES[pk.curve].tag), publicKeyHashBytes(pk));
}

/** Parses tz1..tz4 into its curve and 20-byte hash. */
export function parsePublicKeyHash(text: string): { curve: Curve; hash: Uint8Array } {
  const { prefix, payload } = b58Decode(text, PKH_PREFIXES);
  return { curve: CURVE_OF_PKH[prefix], hash: payload };
}

/** Curve of a JWK `crv` name, for the curves node:crypto knows. */
const SPKI_CURVE = new Map(CURVE_NAMES.flatMap((c) => (CURVES[c].jwk === null ? [] : [[CURVES[c].jwk as string, c] as const])));

/**
 * The exact DER header of each curve's SPKI in its one canonical form (named-curve OID, BIT STRING
 * of the raw key: 32 bytes for Ed25519, a 65-byte uncompressed point for ECDSA). A key whose DER is
 * header + key of exactly that length is read without node:crypto's parser (a listing reads
 * hundreds); anything else goes through the parser.
 */
const SPKI_HEADERS: readonly { curve: 'ed25519' | EcdsaCurve; header: Buffer; keyLength: number }[] = [
  { curve: 'ed25519', header: ED25519_SPKI_PREFIX, keyLength: 32 },
  { curve: 'p256', header: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'), keyLength: 65 },
  { curve: 'secp256k1', header: Buffer.from('3056301006072a8648ce3d020106052b8104000a034200', 'hex'), keyLength: 65 },
];

function publicKeyFromCanonicalSpki(der: Uint8Array): PublicKey | undefined {
  for (const { curve, header, keyLength } of SPKI_HEADERS) {
    if (der.length !== header.length + keyLength || !header.equals(der.subarray(0, header.length))) continue;
    const key = der.subarray(header.length);
    if (curve === 'ed25519') return checkPublicKey(curve, key);
    if (key[0] !== 0x04) return undefined; // let the parser say what it is
    try {
      ecdsaCurve(curve).Point.fromBytes(key).assertValidity(); // uncompressed: on-curve check, no square root
    } catch {
      throw new TypeError(`${curve} public key is not a point on the curve`);
    }
    return { curve, bytes: concatBytes(Uint8Array.of(0x02 | (key[64]! & 1)), key.slice(1, 33)) };
  }
  return undefined;
}

/**
 * A Tezos public key from a DER SubjectPublicKeyInfo (what KMS GetPublicKey returns) for
 * Ed25519, secp256k1 or P-256. node:crypto parses the DER and exports x/y as JWK; the EC point
 * is compressed to (02|y&1)‖x. Anything else (RSA, P-384, garbage) is a TypeError naming it.
 */
export function publicKeyFromSpki(der: Uint8Array): PublicKey {
  const canonical = publicKeyFromCanonicalSpki(der);
  if (canonical !== undefined) return canonical;
  let jwk: JsonWebKey;
  try {
    jwk = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  } catch (e) {
    throw new TypeError(`public key is not a DER SubjectPublicKeyInfo that can be read (${(e as Error).message})`);
  }
  const curve = SPKI_CURVE.get(jwk.crv ?? '');
  if (curve === undefined || jwk.x === undefined) {
    throw new TypeError(`public key is ${jwk.kty ?? 'unknown'}${jwk.crv ? ` ${jwk.crv}` : ''}, not ${orList([...SPKI_CURVE.keys()])}`);
  }
  const x = Buffer.from(jwk.x, 'base64url');
  if (curve === 'ed25519') return checkPublicKey(curve, x);
  const y = Buffer.from(jwk.y ?? '', 'base64url');
  const prefix = Uint8Array.of(0x02 | ((y[y.length - 1] ?? 0) & 1));
  return checkPublicKey(curve, concatBytes(prefix, new Uint8Array(Math.max(0, 32 - x.length)), x));
}
