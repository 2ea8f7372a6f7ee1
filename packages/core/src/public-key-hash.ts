import { b58Decode, b58Encode } from './base58';
import { CURVE_OF_PK, CURVES, prefixesOf } from './curves';
import { blake2b160 } from './hash';

const PK_PREFIXES = prefixesOf('pk');

/**
 * The tz1..tz4 address of a b58 public key (edpk, sppk, p2pk, BLpk): blake2b-160 of the key bytes.
 * Throws a TypeError naming what was wrong for anything else.
 */
export function publicKeyHash(publicKey: string): string {
  const { prefix, payload } = b58Decode(publicKey, PK_PREFIXES);
  return b58Encode(CURVES[CURVE_OF_PK[prefix]].pkh, blake2b160(payload));
}
