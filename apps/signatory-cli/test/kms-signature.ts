/**
 * Test-side check that a KMS key really holds a given Tezos key: KMS signs the blake2b digest of a
 * payload, the signature is turned into Tezos form, and Taquito's verifySignature checks it against
 * the public key Taquito derived from the secret (an oracle independent of our code).
 */
import { SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { b58Encode, blake2b256 } from '@signatory-ts/core';
import { verifySignature } from '@taquito/utils';
import { p256 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';

export async function kmsSignatureVerifies(
  client: KMSClient,
  keyId: string,
  publicKey: string,
  payload = '03' + 'ab'.repeat(40),
): Promise<boolean> {
  const digest = blake2b256(Buffer.from(payload, 'hex'));
  const ed = publicKey.startsWith('edpk');
  const r = await client.send(
    new SignCommand(
      ed
        ? { KeyId: keyId, Message: digest, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }
        : { KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' },
    ),
  );
  const der = r.Signature!;
  const sig = ed
    ? b58Encode('edsig', der)
    : publicKey.startsWith('sppk')
      ? b58Encode('spsig1', secp256k1.Signature.fromDER(der).normalizeS().toBytes('compact'))
      : b58Encode('p2sig', p256.Signature.fromDER(der).toBytes('compact'));
  return verifySignature(payload, publicKey, sig);
}
