import bs58check from 'bs58check';
import { concatBytes, equalBytes } from './bytes';

/**
 * Tezos base58check prefixes: the bytes put before the payload, and the payload length.
 * Values from Octez `lib_crypto/base58.ml`; each row was checked by encoding all-zero and
 * all-0xff payloads and looking at the text prefix (test/base58.test.ts keeps that check).
 */
export const PREFIXES = {
  tz1: { bytes: [0x06, 0xa1, 0x9f], length: 20 },
  tz2: { bytes: [0x06, 0xa1, 0xa1], length: 20 },
  tz3: { bytes: [0x06, 0xa1, 0xa4], length: 20 },
  tz4: { bytes: [0x06, 0xa1, 0xa6], length: 20 },
  tz5: { bytes: [0x06, 0xa1, 0xa9], length: 20 },
  KT1: { bytes: [0x02, 0x5a, 0x79], length: 20 },
  sr1: { bytes: [0x06, 0x7c, 0x75], length: 20 },
  edpk: { bytes: [0x0d, 0x0f, 0x25, 0xd9], length: 32 },
  sppk: { bytes: [0x03, 0xfe, 0xe2, 0x56], length: 33 },
  p2pk: { bytes: [0x03, 0xb2, 0x8b, 0x7f], length: 33 },
  BLpk: { bytes: [0x06, 0x95, 0x87, 0xcc], length: 48 },
  mdpk: { bytes: [0x0d, 0x07, 0xed, 0x43], length: 1312 },
  edsk32: { bytes: [0x0d, 0x0f, 0x3a, 0x07], length: 32 },
  edsk64: { bytes: [0x2b, 0xf6, 0x4e, 0x07], length: 64 },
  spsk: { bytes: [0x11, 0xa2, 0xe0, 0xc9], length: 32 },
  p2sk: { bytes: [0x10, 0x51, 0xee, 0xbd], length: 32 },
  BLsk: { bytes: [0x03, 0x96, 0xc0, 0x28], length: 32 },
  edesk: { bytes: [0x07, 0x5a, 0x3c, 0xb3, 0x29], length: 56 },
  spesk: { bytes: [0x09, 0xed, 0xf1, 0xae, 0x96], length: 56 },
  p2esk: { bytes: [0x09, 0x30, 0x39, 0x73, 0xab], length: 56 },
  BLesk: { bytes: [0x02, 0x05, 0x1e, 0x35, 0x19], length: 56 },
  edsig: { bytes: [0x09, 0xf5, 0xcd, 0x86, 0x12], length: 64 },
  spsig1: { bytes: [0x0d, 0x73, 0x65, 0x13, 0x3f], length: 64 },
  p2sig: { bytes: [0x36, 0xf0, 0x2c, 0x34], length: 64 },
  sig: { bytes: [0x04, 0x82, 0x2b], length: 64 },
  BLsig: { bytes: [0x28, 0xab, 0x40, 0xcf], length: 96 },
  Net: { bytes: [0x57, 0x52, 0x00], length: 4 },
  B: { bytes: [0x01, 0x34], length: 32 },
  o: { bytes: [0x05, 0x74], length: 32 },
  Lo: { bytes: [0x85, 0xe9], length: 32 },
  LLo: { bytes: [0x1d, 0x9f, 0x6d], length: 32 },
  P: { bytes: [0x02, 0xaa], length: 32 },
  Co: { bytes: [0x4f, 0xc7], length: 32 },
  vh: { bytes: [0x01, 0x6a, 0xf2], length: 32 },
  nce: { bytes: [0x45, 0xdc, 0xa9], length: 32 },
  expr: { bytes: [0x0d, 0x2c, 0x40, 0x1b], length: 32 },
  src1: { bytes: [0x11, 0xa5, 0x86, 0x8a], length: 32 },
  srs1: { bytes: [0x11, 0xa5, 0xeb, 0xf0], length: 32 },
  sh: { bytes: [0x02, 0x74, 0xb4], length: 48 },
} as const;

export type PrefixName = keyof typeof PREFIXES;

const prefixBytes = Object.fromEntries(Object.entries(PREFIXES).map(([k, v]) => [k, Uint8Array.from(v.bytes)])) as Record<
  PrefixName,
  Uint8Array
>;

/** Encodes `payload` under the named prefix; the payload length must match the table. */
export function b58Encode(prefix: PrefixName, payload: Uint8Array): string {
  const want = PREFIXES[prefix].length;
  if (payload.length !== want) {
    throw new TypeError(`${prefix}: payload must be ${want} bytes, got ${payload.length}`);
  }
  return bs58check.encode(concatBytes(prefixBytes[prefix], payload));
}

/**
 * The longest base58check text a prefix can produce: prefix, payload and the 4-byte checksum, at
 * log(256)/log(58) characters a byte (a leading zero byte is one character, fewer than that).
 */
export function maxB58Length(prefix: PrefixName): number {
  return Math.ceil(((prefixBytes[prefix].length + PREFIXES[prefix].length + 4) * Math.log(256)) / Math.log(58));
}

/**
 * Decodes a base58check string and checks it carries one of the expected prefixes with the
 * right payload length. Errors say which part was wrong: length, checksum, prefix or payload
 * length. Text longer than any expected prefix can produce is refused before decoding: base58
 * decoding is quadratic in the length, and this text often comes from the network.
 */
export function b58Decode<P extends PrefixName>(text: string, expected: readonly P[]): { prefix: P; payload: Uint8Array } {
  const max = Math.max(...expected.map(maxB58Length));
  if (text.length > max) {
    throw new TypeError(
      `${JSON.stringify(text.slice(0, 40) + '…')} (${text.length} characters) is too long for ${expected.join(', ')}: at most ${max}`,
    );
  }
  let raw: Uint8Array;
  try {
    raw = bs58check.decode(text);
  } catch (e) {
    throw new TypeError(`${JSON.stringify(text)} is not valid base58check (${(e as Error).message})`);
  }
  for (const p of expected) {
    const pb = prefixBytes[p];
    if (raw.length >= pb.length && equalBytes(raw.subarray(0, pb.length), pb)) {
      const payload = raw.slice(pb.length);
      if (payload.length !== PREFIXES[p].length) {
        throw new TypeError(`${JSON.stringify(text)}: ${p} payload must be ${PREFIXES[p].length} bytes, got ${payload.length}`);
      }
      return { prefix: p, payload };
    }
  }
  throw new TypeError(`${JSON.stringify(text)} does not have the expected prefix (${expected.join(', ')})`);
}
