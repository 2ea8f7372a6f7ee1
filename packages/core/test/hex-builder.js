'use strict';
/**
 * A tiny, independent hex builder for hand-made requests, written from the binary layout (big-endian
 * ints, 4-byte dyn lengths, Zarith). Used where Taquito cannot forge a kind: by the tests (types in
 * hex-builder.d.ts) and by scripts/gen-zk-vectors.js, which builds the oracle's inputs with it.
 */
const rep = (byte, n) => byte.repeat(n);
const u8 = (n) => n.toString(16).padStart(2, '0');
const u16 = (n) => n.toString(16).padStart(4, '0');
const i32 = (n) => (n >>> 0).toString(16).padStart(8, '0');
const i64 = (n) => BigInt.asUintN(64, BigInt(n)).toString(16).padStart(16, '0');
const dyn = (hex) => i32(hex.length / 2) + hex;

/** Zarith natural. */
function zn(v) {
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
function zz(v) {
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
const pkh = (tag, fill = 'ab') => u8(tag) + rep(fill, 20);
const BRANCH = rep('00', 32);
/** Manager header: source, fee, counter, gas limit, storage limit (small values by default). */
const managerHeader = (source = pkh(0), fee = 1000, counter = 7, gasLimit = 1500, storageLimit = 0) =>
  source + zn(fee) + zn(counter) + zn(gasLimit) + zn(storageLimit);

module.exports = { rep, u8, u16, i32, i64, dyn, zn, zz, pkh, BRANCH, managerHeader };
