import { createPrivateKey, sign as nodeSign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils';
import nacl from 'tweetnacl';
import { b58Decode, b58Encode, type PrefixName } from './base58';
import { equalBytes } from './bytes';
import { CURVE_NAMES, CURVE_ORDER, CURVES, ecdsaCurve } from './curves';
import { decryptSecret, encryptSecret } from './encrypted-key';
import { SignatoryError } from './errors';
import { blake2b256 } from './hash';
import { checkPublicKey, type PublicKey } from './public-key';
import type { Signature } from './signature';

/** Curves whose secret keys core can read and sign with (no BLS here). */
export type SecretKeyCurve = 'ed25519' | 'secp256k1' | 'p256';

/** A secret key: ed25519 32-byte seed, or the 32-byte big-endian ECDSA scalar. Wipe `bytes` when done. */
export interface SecretKey {
  readonly curve: SecretKeyCurve;
  readonly bytes: Uint8Array;
}

const SECRET_KEY_CURVES = CURVE_NAMES.filter((c): c is SecretKeyCurve => c !== 'bls');
/** Plain prefix -> curve; ed25519 also has the 64-byte seed‖pk form, edsk64. */
const PLAIN: Record<string, SecretKeyCurve> = Object.fromEntries(
  SECRET_KEY_CURVES.flatMap((c) => [[CURVES[c].sk, c], ...(c === 'ed25519' ? [['edsk64', c]] : [])]),
);
const ENCRYPTED: Record<string, SecretKeyCurve> = Object.fromEntries(SECRET_KEY_CURVES.map((c) => [CURVES[c].esk, c]));
const ENCRYPTED_PATTERN = new RegExp(`^(${CURVE_NAMES.map((c) => CURVES[c].esk).join('|')})`);

/** Zero-fills every buffer given (secret material, once it is no longer needed). */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

/** True for edesk / spesk / p2esk (and BLesk): the caller must supply a password. */
export function isEncryptedSecretKey(text: string): boolean {
  return ENCRYPTED_PATTERN.test(text.trim());
}

function checkScalar(curve: SecretKeyCurve, bytes: Uint8Array): void {
  if (bytes.length !== 32) throw new SignatoryError('bad_request', `${curve} secret key must be 32 bytes, got ${bytes.length}`);
  if (curve === 'ed25519') return;
  const d = bytesToNumberBE(bytes);
  if (d === 0n || d >= CURVE_ORDER[curve]) {
    throw new SignatoryError('bad_request', `${curve} secret key is not a valid scalar (zero or not below the group order)`);
  }
}

/**
 * Parses edsk (54-character seed or 98-character seed‖pk form), spsk, p2sk, or the encrypted
 * edesk / spesk / p2esk with `password`. The 64-byte edsk must carry the public key of its own
 * seed (a mismatch means a damaged key and is refused). Errors are SignatoryError `bad_request`
 * and never contain key material.
 */
export function parseSecretKey(text: string, password?: string): SecretKey {
  const trimmed = text.trim();
  if (/^BLe?sk/.test(trimmed)) throw new SignatoryError('bad_request', 'BLS (tz4) secret keys are not supported');
  let decoded: { prefix: PrefixName; payload: Uint8Array };
  try {
    decoded = b58Decode(trimmed, [...Object.keys(PLAIN), ...Object.keys(ENCRYPTED)] as PrefixName[]);
  } catch {
    throw new SignatoryError(
      'bad_request',
      'not a Tezos secret key: expected edsk, spsk, p2sk, edesk, spesk or p2esk with a valid checksum',
    );
  }
  const { prefix, payload } = decoded;
  const encryptedCurve = ENCRYPTED[prefix];
  if (encryptedCurve !== undefined) {
    if (password === undefined) throw new SignatoryError('bad_request', `${prefix} key is encrypted: a password is needed`);
    const secret = decryptSecret(payload, password, `${prefix} key`);
    checkScalar(encryptedCurve, secret);
    return { curve: encryptedCurve, bytes: secret };
  }
  const curve = PLAIN[prefix]!;
  if (prefix === 'edsk64') {
    const seed = payload.slice(0, 32);
    const pk = nacl.sign.keyPair.fromSeed(seed).publicKey;
    const matches = equalBytes(pk, payload.subarray(32));
    wipe(payload);
    if (!matches) {
      wipe(seed);
      throw new SignatoryError('bad_request', 'edsk (64-byte form) is damaged: its public key half does not match its seed');
    }
    return { curve, bytes: seed };
  }
  checkScalar(curve, payload);
  return { curve, bytes: payload };
}

/** edsk (32-byte seed form, as Octez prints it) / spsk / p2sk; or, with a password, edesk / spesk / p2esk. */
export function encodeSecretKey(sk: SecretKey, password?: string): string {
  if (password === undefined) return b58Encode(CURVES[sk.curve].sk, sk.bytes);
  return b58Encode(CURVES[sk.curve].esk, encryptSecret(sk.bytes, password));
}

/** The public key of a secret key (compressed point for ECDSA). */
export function secretKeyPublicKey(sk: SecretKey): PublicKey {
  if (sk.curve === 'ed25519') return checkPublicKey('ed25519', nacl.sign.keyPair.fromSeed(sk.bytes).publicKey);
  return checkPublicKey(sk.curve, ecdsaCurve(sk.curve).getPublicKey(sk.bytes, true));
}

function jwkOf(sk: SecretKey, pk: PublicKey): JsonWebKey {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  if (sk.curve === 'ed25519') return { kty: 'OKP', crv: 'Ed25519', d: b64(sk.bytes), x: b64(pk.bytes) };
  const point = ecdsaCurve(sk.curve).Point.fromBytes(pk.bytes).toAffine();
  return {
    kty: 'EC',
    crv: sk.curve === 'p256' ? 'P-256' : 'secp256k1',
    d: b64(sk.bytes),
    x: b64(numberToBytesBE(point.x, 32)),
    y: b64(numberToBytesBE(point.y, 32)),
  };
}

function privateKeyObject(sk: SecretKey): KeyObject {
  return createPrivateKey({ key: jwkOf(sk, secretKeyPublicKey(sk)), format: 'jwk' });
}

/**
 * Unencrypted DER PKCS#8 PrivateKeyInfo of the key (what KMS ImportKeyMaterial wraps). Built
 * by node:crypto from a JWK; Node 20's OpenSSL handles secp256k1, P-256 and Ed25519 (RFC 8410).
 * The JWK is a JS string and cannot be wiped; the returned buffer can and should be.
 */
export function secretKeyToPkcs8(sk: SecretKey): Uint8Array {
  return new Uint8Array(privateKeyObject(sk).export({ format: 'der', type: 'pkcs8' }));
}

/**
 * Tezos-style signing: blake2b-256 of `message` (watermark byte included), then ed25519 over
 * that digest (node:crypto), or ECDSA over it with an RFC 6979 nonce and low-S (@noble/curves), so
 * output is deterministic and matches Octez / Taquito byte for byte.
 */
export function signWithSecretKey(message: Uint8Array, sk: SecretKey): Signature {
  const digest = blake2b256(message);
  if (sk.curve === 'ed25519') {
    return { curve: 'ed25519', bytes: new Uint8Array(nodeSign(null, digest, privateKeyObject(sk))) };
  }
  const sig = ecdsaCurve(sk.curve).sign(digest, sk.bytes, { lowS: true, prehash: false, extraEntropy: false });
  return { curve: sk.curve, bytes: sig.toBytes('compact') };
}
