/**
 * Test-side check that a KMS key really holds a given Tezos key: KMS signs the blake2b digest of a
 * payload, the signature is turned into Tezos form, and Taquito's verifySignature checks it against
 * the public key Taquito derived from the secret (an oracle independent of our code).
 */
import { SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { b58Encode, blake2b256 } from '@signatory-ts/core';
import { verifySignature } from '@taquito/utils';

const N_SECP256K1 = BigInt('0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141');

/** DER SEQUENCE{INTEGER r, INTEGER s} -> r‖s (32 bytes each), S made low for secp256k1. */
function rawEcdsa(der: Uint8Array, lowS: boolean): Uint8Array {
  const ints: bigint[] = [];
  let i = 2;
  for (let n = 0; n < 2; n++) {
    const len = der[i + 1]!;
    ints.push(BigInt('0x' + Buffer.from(der.subarray(i + 2, i + 2 + len)).toString('hex')));
    i += 2 + len;
  }
  let [r, s] = ints as [bigint, bigint];
  if (lowS && s > N_SECP256K1 / 2n) s = N_SECP256K1 - s;
  const hex32 = (x: bigint) => x.toString(16).padStart(64, '0');
  return Buffer.from(hex32(r) + hex32(s), 'hex');
}

export async function kmsSignatureVerifies(client: KMSClient, keyId: string, publicKey: string, payload = '03' + 'ab'.repeat(40)): Promise<boolean> {
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
      ? b58Encode('spsig1', rawEcdsa(der, true))
      : b58Encode('p2sig', rawEcdsa(der, false));
  return verifySignature(payload, publicKey, sig);
}
