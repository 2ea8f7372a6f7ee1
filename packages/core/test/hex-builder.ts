/**
 * A tiny, independent hex builder for hand-made test requests, written from the binary layout
 * (big-endian ints, 4-byte dyn lengths, Zarith). Used where Taquito cannot forge a kind.
 */
export const rep = (byte: string, n: number): string => byte.repeat(n);
export const u8 = (n: number): string => n.toString(16).padStart(2, '0');
export const u16 = (n: number): string => n.toString(16).padStart(4, '0');
export const i32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
export const i64 = (n: bigint): string => BigInt.asUintN(64, n).toString(16).padStart(16, '0');
export const dyn = (hex: string): string => i32(hex.length / 2) + hex;
/** Zarith natural. */
export function zn(v: bigint | number): string {
  let n = BigInt(v);
  let out = '';
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out += u8(b);
  } while (n > 0n);
  return out;
}
/** Zarith integer. */
export function zz(v: bigint | number): string {
  let n = BigInt(v);
  const neg = n < 0n;
  if (neg) n = -n;
  let b = Number(n & 0x3fn) | (neg ? 0x40 : 0);
  n >>= 6n;
  if (n > 0n) b |= 0x80;
  let out = u8(b);
  while (n > 0n) {
    let c = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) c |= 0x80;
    out += u8(c);
  }
  return out;
}
/** Tagged public key hash: tag 0..4 then 20 bytes of `fill`. */
export const pkh = (tag: number, fill = 'ab'): string => u8(tag) + rep(fill, 20);
export const BRANCH = rep('00', 32);
/** Manager header with small values. */
export const managerHeader = (source = pkh(0)): string => source + zn(1000) + zn(7) + zn(1500) + zn(0);
