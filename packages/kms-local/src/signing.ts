import { createHash, createPublicKey, sign, verify, constants, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';
import { KmsError } from './errors';
import { keySpecInfo, type KeySpec } from './keySpecs';

/** `random`: S as the nonce gives it (high about half the time, like real KMS); `always`: S forced above n/2. */
export type HighSMode = 'random' | 'always';

const CURVES = { p256, secp256k1 };

const RSA_HASH: Record<string, string> = { SHA_256: 'sha256', SHA_384: 'sha384', SHA_512: 'sha512' };

export interface SignInput {
  key: KeyObject;
  keySpec: KeySpec;
  algorithm: string;
  messageType: string;
  message: Buffer;
}

/** Checks the algorithm and message type against the key spec the way KMS does; throws KmsError when they do not fit. */
function checkAlgorithm(keySpec: KeySpec, algorithm: string, messageType: string, message: Buffer): void {
  const info = keySpecInfo(keySpec);
  if (!info.signingAlgorithms?.includes(algorithm)) {
    throw new KmsError(
      'InvalidKeyUsageException',
      `Signing algorithm ${algorithm} is not compatible with key spec ${keySpec}. Valid: ${(info.signingAlgorithms ?? []).join(', ')}`,
    );
  }
  if (messageType !== 'RAW' && messageType !== 'DIGEST') {
    throw new KmsError('ValidationException', `MessageType ${messageType} is not supported for ${algorithm}`);
  }
  if (algorithm === 'ED25519_SHA_512' && messageType !== 'RAW') {
    throw new KmsError('ValidationException', 'ED25519_SHA_512 requires MessageType RAW');
  }
  if (algorithm === 'ED25519_PH_SHA_512' && messageType !== 'DIGEST') {
    throw new KmsError('ValidationException', 'Message type RAW is incompatible with ED25519_PH_SHA_512; use DIGEST');
  }
  if (messageType === 'DIGEST') {
    const expected = algorithm.endsWith('_512') ? 64 : algorithm.endsWith('_384') ? 48 : 32;
    if (message.length !== expected) {
      throw new KmsError(
        'ValidationException',
        `Digest is invalid length for algorithm ${algorithm}: got ${message.length} bytes, expected ${expected}`,
      );
    }
  }
}

function ecdsaCurve(keySpec: KeySpec) {
  return CURVES[keySpecInfo(keySpec).ellipticCurve!];
}

/** The raw key noble takes: the 32-byte scalar of a private key, the uncompressed point (04‖x‖y) of a public one. */
function rawKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (key.type === 'private') return Buffer.from(jwk.d!, 'base64url');
  return Buffer.concat([Buffer.of(0x04), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

function ecdsaDigest(messageType: string, message: Buffer): Buffer {
  return messageType === 'DIGEST' ? message : createHash('sha256').update(message).digest();
}

function rsaOptions(key: KeyObject, algorithm: string) {
  const hash = RSA_HASH[algorithm.slice(-7)]!;
  const pss = algorithm.startsWith('RSASSA_PSS');
  return {
    hash,
    key: pss
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : { key, padding: constants.RSA_PKCS1_PADDING },
  };
}

/**
 * Signs like KMS: ECDSA returns DER with whatever S the random nonce produced (not normalised), Ed25519 the
 * 64 raw bytes, RSA the raw signature.
 */
export function signMessage(input: SignInput, highS: HighSMode): Buffer {
  const { key, keySpec, algorithm, messageType, message } = input;
  checkAlgorithm(keySpec, algorithm, messageType, message);
  const info = keySpecInfo(keySpec);
  switch (info.family) {
    case 'ecdsa': {
      const curve = ecdsaCurve(keySpec);
      // extraEntropy mixes fresh randomness into the nonce (k is not the bare RFC 6979 one); lowS: false keeps
      // S as the nonce gives it, high about half the time, like real KMS.
      const sig = curve.sign(ecdsaDigest(messageType, message), rawKey(key), { prehash: false, lowS: false, extraEntropy: true });
      const out = highS === 'always' && !sig.hasHighS() ? new curve.Signature(sig.r, curve.Point.Fn.neg(sig.s)) : sig;
      return Buffer.from(out.toBytes('der'));
    }
    case 'ed25519':
      if (algorithm === 'ED25519_PH_SHA_512') {
        throw new KmsError('UnsupportedOperationException', 'kms-local does not implement ED25519_PH_SHA_512 (Ed25519ph)');
      }
      return sign(null, message, key);
    case 'rsa': {
      if (messageType === 'DIGEST') {
        throw new KmsError('UnsupportedOperationException', 'kms-local signs RSA keys over RAW messages only');
      }
      const o = rsaOptions(key, algorithm);
      return sign(o.hash, message, o.key);
    }
    default:
      throw new KmsError('InvalidKeyUsageException', `Key spec ${keySpec} cannot sign`);
  }
}

/** Verifies like KMS Verify; false for a signature that does not verify or does not parse. */
export function verifyMessage(input: SignInput, signature: Buffer): boolean {
  const { key, keySpec, algorithm, messageType, message } = input;
  checkAlgorithm(keySpec, algorithm, messageType, message);
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  switch (keySpecInfo(keySpec).family) {
    case 'ecdsa':
      try {
        const digest = ecdsaDigest(messageType, message);
        return ecdsaCurve(keySpec).verify(signature, digest, rawKey(publicKey), { prehash: false, lowS: false, format: 'der' });
      } catch {
        return false;
      }
    case 'ed25519':
      if (algorithm === 'ED25519_PH_SHA_512') {
        throw new KmsError('UnsupportedOperationException', 'kms-local does not implement ED25519_PH_SHA_512 (Ed25519ph)');
      }
      return verify(null, message, publicKey, signature);
    case 'rsa': {
      if (messageType === 'DIGEST') {
        throw new KmsError('UnsupportedOperationException', 'kms-local verifies RSA keys over RAW messages only');
      }
      const o = rsaOptions(publicKey, algorithm);
      return verify(o.hash, message, o.key, signature);
    }
    default:
      throw new KmsError('InvalidKeyUsageException', `Key spec ${keySpec} cannot verify`);
  }
}
