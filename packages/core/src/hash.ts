import { blake2b } from 'blakejs';

/** blake2b-256: the digest every Tezos ed25519/secp256k1/P-256 signature is made over. */
export function blake2b256(data: Uint8Array): Uint8Array {
  return blake2b(data, undefined, 32);
}

/** blake2b-160: the public key hash (tz1/tz2/tz3/tz4). */
export function blake2b160(data: Uint8Array): Uint8Array {
  return blake2b(data, undefined, 20);
}
