import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { GetParametersForImportCommand, ImportKeyMaterialCommand, type KMSClient } from '@aws-sdk/client-kms';
import { SignatoryError } from '@signatory-ts/core';
import { createTezosKey, readTezosPublicKey, type CreatedKmsKey, type NewKmsKey, type StepLog } from './create-key';
import type { KmsKeyType } from './kms-public-key';

export const WRAPPING_ALGORITHMS = ['RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_256'] as const;
export type WrappingAlgorithm = (typeof WRAPPING_ALGORITHMS)[number];

export interface ImportKeyInput {
  readonly type: KmsKeyType;
  /** The private key as unencrypted PKCS#8 DER. Not kept or copied: the caller wipes it afterwards. */
  readonly pkcs8: Uint8Array;
  /** The pkh the secret gives; the key KMS ends up holding must hash to it. */
  readonly pkh: string;
  /** `name` or `alias/name`. */
  readonly alias?: string;
  readonly description?: string;
  /** Default RSAES_OAEP_SHA_256 (the PKCS#8 of a Tezos key fits one RSA-2048 OAEP block). */
  readonly wrappingAlgorithm?: WrappingAlgorithm;
}

/** RFC 5649 AES key wrap with padding (OpenSSL id-aes256-wrap-pad), default IV A65959A6. */
function aesKeyWrapPad(kek: Buffer, data: Uint8Array): Buffer {
  const c = createCipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([c.update(data), c.final()]);
}

/** Encrypts the PKCS#8 for KMS under the wrapping public key it handed out. */
function wrap(algorithm: WrappingAlgorithm, wrappingKeySpki: Uint8Array, pkcs8: Uint8Array): Buffer {
  const key = createPublicKey({ key: Buffer.from(wrappingKeySpki), format: 'der', type: 'spki' });
  const oaep = { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
  if (algorithm === 'RSAES_OAEP_SHA_256') return publicEncrypt(oaep, pkcs8);
  const kek = randomBytes(32);
  try {
    return Buffer.concat([publicEncrypt(oaep, kek), aesKeyWrapPad(kek, pkcs8)]);
  } finally {
    kek.fill(0);
  }
}

/**
 * Imports a Tezos private key into a new KMS key (AWS "bring your own key"):
 * CreateKey (Origin EXTERNAL, the type's KeySpec, SIGN_VERIFY) -> GetParametersForImport
 * (RSA_2048) -> wrap the PKCS#8 -> ImportKeyMaterial (KEY_MATERIAL_DOES_NOT_EXPIRE) ->
 * GetPublicKey, which must hash to `pkh` -> CreateAlias when asked.
 * If any step after CreateKey fails, the new key is scheduled for deletion (7 days) and the error
 * says so. Go Signatory cannot import into AWS KMS; this is new.
 */
export function importKey(client: KMSClient, input: ImportKeyInput, log?: StepLog): Promise<CreatedKmsKey> {
  const algorithm = input.wrappingAlgorithm ?? 'RSAES_OAEP_SHA_256';
  const key: NewKmsKey = {
    type: input.type,
    origin: 'EXTERNAL',
    description: input.description ?? `Tezos ${input.pkh} (imported by signatory-cli)`,
    alias: input.alias,
    what: 'import',
    created: 'created KMS key awaiting key material',
  };
  return createTezosKey(
    client,
    key,
    async (keyId) => {
      const params = await client.send(
        new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_2048' }),
      );
      if (params.PublicKey === undefined || params.ImportToken === undefined) {
        throw new SignatoryError('vault_unavailable', 'GetParametersForImport returned no wrapping key or import token');
      }
      await client.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: wrap(algorithm, params.PublicKey, input.pkcs8),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      );
      log?.('imported key material', { keyId });
      const pk = await readTezosPublicKey(client, keyId);
      if (pk.pkh !== input.pkh) {
        throw new SignatoryError(
          'internal',
          `KMS holds ${pk.pkh} after the import, not ${input.pkh}: the key material was not imported as given`,
        );
      }
      return pk;
    },
    log,
  );
}
