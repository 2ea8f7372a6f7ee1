import { createPrivateKey, createPublicKey } from 'node:crypto';
import { SignatoryError } from '@signatory-ts/core';
import { tezosPublicKeyFromSpki } from '@signatory-ts/vault-awskms';

/** A private key ready to import: its type, its address, and its PKCS#8 DER, which `wipe` zeroes. */
export interface SecretMaterial {
  readonly type: 'tz1' | 'tz2' | 'tz3' | 'tz4';
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
  let pk;
  try {
    pk = tezosPublicKeyFromSpki(spki);
  } catch (e) {
    pkcs8.fill(0);
    throw new SignatoryError('bad_request', `-f: ${(e as Error).message}: Tezos keys are Ed25519 (tz1), secp256k1 (tz2) or P-256 (tz3)`);
  }
  return { type: pk.type, pkh: pk.pkh, publicKey: pk.publicKey, pkcs8, wipe: () => pkcs8.fill(0) };
}

/** Base58 secret keys (edsk, spsk, p2sk, BLsk and the encrypted forms); `password` is asked only for encrypted ones. */
export async function secretFromText(text: string, password: () => Promise<string>): Promise<SecretMaterial> {
  void text;
  void password;
  throw new SignatoryError('internal', 'base58 secret keys: waiting for core');
}
