import type { Reader } from './reader';

/**
 * Zarith numbers (data-encoding `n` and `z`): 7-bit groups, least significant first, bit 7 set on
 * every byte but the last. `z` keeps the sign in bit 6 of the first byte, which carries 6 bits.
 * Values come back as decimal strings, so JSON carries them exactly.
 */

/** Octez's `check_size 10` on fee, counter, gas_limit, storage_limit, amount, balance and limit. */
export const ZARITH_CAPPED_BYTES = 10;
/**
 * Cap for every other Zarith field (DAL bitsets, ticket amounts, Micheline ints). data-encoding has
 * none; ours keeps decoding time linear and bounded. 1024 bytes hold a 7168-bit number.
 */
export const ZARITH_MAX_BYTES = 1024;

const INT64_MAX = (1n << 63n) - 1n;

/** Scans the groups; returns their count and checks length and canonical form. */
function scan(r: Reader, what: string, maxBytes: number): number {
  const b = r.bytes;
  const start = r.pos;
  let p = start;
  for (;;) {
    if (p >= r.end) r.fail('short_input', `${what}: Zarith byte`, 'input ends inside the number', p);
    const v = b[p++]!;
    if (p - start > maxBytes) r.fail('zarith_too_long', `${what}: at most ${maxBytes} bytes`, undefined, start);
    if ((v & 0x80) === 0) {
      if (v === 0 && p - start > 1) r.fail('zarith_trailing_zero', `${what}: canonical Zarith`, 'last byte is 0x00', p - 1);
      return p - start;
    }
  }
}

/** Decimal value of groups b[start..start+n) where the first group holds `firstBits` bits. */
function toDecimal(b: Uint8Array, start: number, n: number, firstBits: number): string {
  const firstMask = (1 << firstBits) - 1;
  if (n <= 7) {
    // at most 6 + 6*7 = 48 bits: exact in a double
    let v = b[start]! & firstMask;
    let mul = 2 ** firstBits;
    for (let i = 1; i < n; i++) {
      v += (b[start + i]! & 0x7f) * mul;
      mul *= 128;
    }
    return String(v);
  }
  let v = 0n;
  for (let i = n - 1; i >= 1; i--) v = (v << 7n) | BigInt(b[start + i]! & 0x7f);
  v = (v << BigInt(firstBits)) | BigInt(b[start]! & firstMask);
  return v.toString();
}

/** Natural number (`n`). */
export function readN(r: Reader, what: string, maxBytes = ZARITH_MAX_BYTES): string {
  const start = r.pos;
  const n = scan(r, what, maxBytes);
  r.pos = start + n;
  return toDecimal(r.bytes, start, n, 7);
}

/** Integer (`z`). */
export function readZ(r: Reader, what: string, maxBytes = ZARITH_MAX_BYTES): string {
  const start = r.pos;
  const n = scan(r, what, maxBytes);
  r.pos = start + n;
  const first = r.bytes[start]!;
  const negative = (first & 0x40) !== 0;
  if (negative && n === 1 && (first & 0x3f) === 0) {
    r.fail('zarith_negative_zero', `${what}: canonical Zarith`, '0x40 encodes -0', start);
  }
  const abs = toDecimal(r.bytes, start, n, 6);
  return negative ? `-${abs}` : abs;
}

/** A mutez fee: 10 bytes at most and within int64 (Octez `Tez_repr`). */
export function readMutez(r: Reader, what: string): string {
  const at = r.pos;
  const v = readN(r, what, ZARITH_CAPPED_BYTES);
  if (v.length >= 19 && BigInt(v) > INT64_MAX) r.fail('bad_value', `${what} <= 2^63-1 mutez`, v, at);
  return v;
}
