import { b58Decode, b58Encode } from './base58';
import { blake2b160 } from './hash';

/** Public key prefix → the prefix of its hash. */
const PKH_OF = { edpk: 'tz1', sppk: 'tz2', p2pk: 'tz3', BLpk: 'tz4' } as const;

/**
 * The tz1..tz4 address of a b58 public key (edpk, sppk, p2pk, BLpk): blake2b-160 of the key bytes.
 * Throws a TypeError naming what was wrong for anything else.
 */
export function publicKeyHash(publicKey: string): string {
  const { prefix, payload } = b58Decode(publicKey, ['edpk', 'sppk', 'p2pk', 'BLpk'] as const);
  return b58Encode(PKH_OF[prefix], blake2b160(payload));
}
