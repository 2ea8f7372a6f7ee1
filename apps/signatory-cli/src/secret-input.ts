import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  isEncryptedSecretKey,
  parseSecretKey,
  publicKeyFromSpki,
  secretKeyPublicKey,
  secretKeyToPkcs8,
  SignatoryError,
  wipe,
} from '@signatory-ts/core';
import { kmsTezosKey, type KmsKeyType } from '@signatory-ts/vault-awskms';

/** A private key ready to import: its type, its address, and its PKCS#8 DER, which `wipe` zeroes. */
export interface SecretMaterial {
  readonly type: KmsKeyType;
  readonly pkh: string;
  readonly publicKey: string;
  readonly pkcs8: Uint8Array;
  wipe(): void;
}

/** An unencrypted PKCS#8 PEM private key (Ed25519, secp256k1 or P-256), as `import -f` reads it. */
export function secretFromPem(pem: Buffer): SecretMaterial {
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) {
    const what = pem.includes('ENCRYPTED PRIVATE KEY')
      ? 'an encrypted PKCS#8 key (decrypt it first: openssl pkcs8 -in key.pem -out plain.pem)'
      : pem.includes('EC PRIVATE KEY')
        ? 'a SEC1 EC key (convert it: openssl pkcs8 -topk8 -nocrypt -in key.pem -out plain.pem)'
        : 'not a PEM private key';
    throw new SignatoryError('bad_request', `-f: expected an unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), got ${what}`);
  }
  let pkcs8: Buffer;
  let spki: Buffer;
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
    spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  } catch (e) {
    throw new SignatoryError('bad_request', `-f: cannot read the private key: ${(e as Error).message}`);
  }
  try {
    const pk = kmsTezosKey(publicKeyFromSpki(spki));
    return { type: pk.type, pkh: pk.pkh, publicKey: pk.publicKey, pkcs8, wipe: () => pkcs8.fill(0) };
  } catch (e) {
    pkcs8.fill(0);
    throw new SignatoryError('bad_request', `-f: ${(e as Error).message}: Tezos keys are Ed25519 (tz1), secp256k1 (tz2) or P-256 (tz3)`);
  }
}

/**
 * The longest base58 secret key (edsk in its 64-byte form). Longer text is refused before it is
 * decoded: base58 decoding takes time quadratic in the length.
 */
export const MAX_SECRET_KEY_CHARS = 98;

/**
 * A base58 secret key (core's parseSecretKey: edsk both forms, spsk, p2sk, encrypted
 * edesk/spesk/p2esk). `password` is asked only for encrypted keys. BLS (tz4) keys are refused
 * first, before any password prompt: no KMS key can hold them.
 */
export async function secretFromText(text: string, password: () => Promise<string>): Promise<SecretMaterial> {
  if (text.length > MAX_SECRET_KEY_CHARS) {
    throw new SignatoryError(
      'bad_request',
      `import: not a Tezos secret key: ${text.length} characters, where a secret key (edsk, spsk, p2sk, edesk, spesk, p2esk) has at most ${MAX_SECRET_KEY_CHARS}; give the key alone`,
    );
  }
  if (/^BLe?sk/.test(text)) {
    throw new SignatoryError(
      'bad_request',
      'import: a tz4 key (BLS12-381) cannot be held by AWS KMS, which has no BLS; the awskms vault takes tz1, tz2 and tz3 keys',
    );
  }
  const sk = parseSecretKey(text, isEncryptedSecretKey(text) ? await password() : undefined);
  try {
    const { type, pkh, publicKey } = kmsTezosKey(secretKeyPublicKey(sk)); // BLS was refused above
    const pkcs8 = secretKeyToPkcs8(sk);
    return { type, pkh, publicKey, pkcs8, wipe: () => wipe(pkcs8) };
  } finally {
    wipe(sk.bytes);
  }
}
