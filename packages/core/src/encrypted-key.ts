import { pbkdf2Sync, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { concatBytes } from './bytes';
import { SignatoryError } from './errors';

/**
 * Octez encrypted secret keys (edesk / spesk / p2esk): payload = salt(8) ‖ secretbox(secret).
 * Box key = PBKDF2-HMAC-SHA512(password, salt, 32768 iterations, 32 bytes); NaCl secretbox
 * (XSalsa20-Poly1305) with an all-zero 24-byte nonce. A 32-byte secret gives 56 bytes.
 */
export const ENCRYPTED_KEY_ITERATIONS = 32768;
const SALT_LENGTH = 8;
const ZERO_NONCE = new Uint8Array(nacl.secretbox.nonceLength);

function boxKey(password: string, salt: Uint8Array): Uint8Array {
  return new Uint8Array(pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ENCRYPTED_KEY_ITERATIONS, 32, 'sha512'));
}

/**
 * Opens an encrypted payload. A wrong password (or damaged payload) fails the MAC and throws a
 * SignatoryError `bad_request` that says so; nothing is returned half-decrypted.
 */
export function decryptSecret(payload: Uint8Array, password: string, what = 'encrypted secret key'): Uint8Array {
  if (payload.length <= SALT_LENGTH + nacl.secretbox.overheadLength) {
    throw new SignatoryError('bad_request', `${what}: payload of ${payload.length} bytes is too short`);
  }
  const key = boxKey(password, payload.subarray(0, SALT_LENGTH));
  try {
    const opened = nacl.secretbox.open(payload.subarray(SALT_LENGTH), ZERO_NONCE, key);
    if (opened === null) {
      throw new SignatoryError('bad_request', `${what}: wrong password (the key could not be decrypted)`);
    }
    return opened;
  } finally {
    key.fill(0);
  }
}

/** The inverse of `decryptSecret`, with a fresh random salt unless one is given (tests). */
export function encryptSecret(secret: Uint8Array, password: string, salt: Uint8Array = randomBytes(SALT_LENGTH)): Uint8Array {
  if (salt.length !== SALT_LENGTH) throw new TypeError(`salt must be ${SALT_LENGTH} bytes`);
  const key = boxKey(password, salt);
  try {
    return concatBytes(salt, nacl.secretbox(secret, ZERO_NONCE, key));
  } finally {
    key.fill(0);
  }
}
