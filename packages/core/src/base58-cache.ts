import * as crypto from 'node:crypto';
import { PREFIXES, type PrefixName } from './base58';

/**
 * Base58check for the decoder's hot loop. Same result as b58Encode, two differences:
 * the double SHA-256 checksum runs in node:crypto (bs58check's own is pure JS), and results
 * are cached, because a signer sees the same few sources, delegates and branches again and
 * again. The cache is bounded (cleared when full), so memory stays bounded.
 */
type Bs58checkFactory = (checksum: (payload: Uint8Array) => Uint8Array) => { encode(payload: Uint8Array): string };
// bs58check ships this factory without type declarations
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bs58checkBase = require('bs58check/base') as Bs58checkFactory;

// crypto.hash (Node >= 20.12) skips the Hash object; fall back to createHash on older Node 20
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;
const sha256 = oneShot
  ? (b: Uint8Array): Buffer => oneShot('sha256', b, 'buffer')
  : (b: Uint8Array): Buffer => crypto.createHash('sha256').update(b).digest();
const codec = bs58checkBase((payload) => sha256(sha256(payload)));

const prefixBytes = Object.fromEntries(Object.entries(PREFIXES).map(([k, v]) => [k, Uint8Array.from(v.bytes)])) as Record<PrefixName, Uint8Array>;

export const BASE58_CACHE_LIMIT = 16384;
const cache = new Map<string, string>();

/** base58check of prefix ‖ payload; the payload length is the caller's to check. */
export function encodeB58Cached(prefix: PrefixName, payload: Uint8Array): string {
  const key = prefix + Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('latin1');
  let s = cache.get(key);
  if (s === undefined) {
    const p = prefixBytes[prefix];
    const all = new Uint8Array(p.length + payload.length);
    all.set(p);
    all.set(payload, p.length);
    s = codec.encode(all);
    if (cache.size >= BASE58_CACHE_LIMIT) cache.clear();
    cache.set(key, s);
  }
  return s;
}

/** Empties the cache (benchmarks use it to measure the cold path). */
export function clearBase58Cache(): void {
  cache.clear();
}
