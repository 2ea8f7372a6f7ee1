/** Hex and byte helpers. Hex is lower-case, without a `0x` prefix. */

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Decodes hex; throws a TypeError that says what was wrong (odd length, bad character). */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new TypeError(`hex string has odd length ${hex.length}`);
  if (!HEX_RE.test(hex)) {
    const i = hex.search(/[^0-9a-fA-F]/);
    throw new TypeError(`invalid hex character ${JSON.stringify(hex[i])} at position ${i}`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
