import { constants, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPair, privateDecrypt, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { KmsError } from './errors';
import type { ImportParameters } from './keyStore';

const generateKeyPairAsync = promisify(generateKeyPair);

/** WrappingAlgorithm -> how EncryptedKeyMaterial is built. RSAES_PKCS1_V1_5 is refused like AWS has since 2023-10-10. */
const WRAPPING_ALGORITHMS = {
  RSAES_OAEP_SHA_1: { oaepHash: 'sha1', hybrid: false },
  RSAES_OAEP_SHA_256: { oaepHash: 'sha256', hybrid: false },
  RSA_AES_KEY_WRAP_SHA_1: { oaepHash: 'sha1', hybrid: true },
  RSA_AES_KEY_WRAP_SHA_256: { oaepHash: 'sha256', hybrid: true },
} as const;

const WRAPPING_KEY_SPECS = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 } as const;

/** Import tokens and wrapping keys are valid for 24 hours. */
export const IMPORT_PARAMETERS_TTL_MS = 24 * 60 * 60 * 1000;

/** RFC 5649 alternative initial value, which OpenSSL's id-aes256-wrap-pad takes as its IV. */
const KWP_IV = Buffer.from('a65959a6', 'hex');

export async function newImportParameters(
  wrappingAlgorithm: unknown,
  wrappingKeySpec: unknown,
  now: number,
): Promise<{ params: ImportParameters; publicKeySpki: Buffer }> {
  if (typeof wrappingAlgorithm !== 'string' || !(wrappingAlgorithm in WRAPPING_ALGORITHMS)) {
    throw new KmsError(
      'ValidationException',
      `WrappingAlgorithm must be one of ${Object.keys(WRAPPING_ALGORITHMS).join(', ')}; got ${String(wrappingAlgorithm)}`,
    );
  }
  if (typeof wrappingKeySpec !== 'string' || !(wrappingKeySpec in WRAPPING_KEY_SPECS)) {
    throw new KmsError(
      'ValidationException',
      `WrappingKeySpec must be one of ${Object.keys(WRAPPING_KEY_SPECS).join(', ')}; got ${String(wrappingKeySpec)}`,
    );
  }
  const modulusLength = WRAPPING_KEY_SPECS[wrappingKeySpec as keyof typeof WRAPPING_KEY_SPECS];
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength,
    privateKeyEncoding: { format: 'der', type: 'pkcs8' },
    publicKeyEncoding: { format: 'der', type: 'spki' },
  });
  return {
    params: {
      token: randomBytes(64).toString('base64'),
      wrappingKeyPkcs8: privateKey.toString('base64'),
      wrappingAlgorithm,
      wrappingKeySpec,
      validTo: now + IMPORT_PARAMETERS_TTL_MS,
    },
    publicKeySpki: publicKey,
  };
}

/**
 * Reverses the wrapping GetParametersForImport asked for: RSA-OAEP (MGF1 with the same hash) of the key
 * material, or RSA-OAEP of a random AES-256 key followed by AES key wrap with padding (RFC 5649) of the
 * material. Any failure is InvalidCiphertextException.
 */
export function unwrapKeyMaterial(params: ImportParameters, encrypted: Buffer): Buffer {
  const algorithm = WRAPPING_ALGORITHMS[params.wrappingAlgorithm as keyof typeof WRAPPING_ALGORITHMS];
  const wrappingKey = createPrivateKey({ key: Buffer.from(params.wrappingKeyPkcs8, 'base64'), format: 'der', type: 'pkcs8' });
  const rsaBytes = (createPublicKey(wrappingKey).asymmetricKeyDetails?.modulusLength ?? 2048) / 8;
  const oaep = (data: Buffer) =>
    privateDecrypt({ key: wrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithm.oaepHash }, data);
  try {
    if (!algorithm.hybrid) return oaep(encrypted);
    if (encrypted.length <= rsaBytes) throw new Error('too short for RSA_AES_KEY_WRAP');
    const aesKey = oaep(encrypted.subarray(0, rsaBytes));
    if (aesKey.length !== 32) throw new Error('wrapped AES key is not 256 bits');
    const decipher = createDecipheriv('id-aes256-wrap-pad', aesKey, KWP_IV);
    return Buffer.concat([decipher.update(encrypted.subarray(rsaBytes)), decipher.final()]);
  } catch {
    throw new KmsError(
      'InvalidCiphertextException',
      `EncryptedKeyMaterial could not be decrypted with the ${params.wrappingAlgorithm} wrapping key of this import token`,
    );
  }
}
