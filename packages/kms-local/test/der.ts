/** Strict parse of a DER ECDSA signature SEQUENCE { INTEGER r, INTEGER s } (short-form lengths only, as for 256-bit curves). */
export function derSignature(der: Uint8Array): { r: Buffer; s: Buffer } {
  const b = Buffer.from(der);
  if (b[0] !== 0x30 || b[1] !== b.length - 2) throw new Error('not a DER SEQUENCE of the right length');
  const int = (at: number) => {
    if (b[at] !== 0x02) throw new Error('expected INTEGER');
    const len = b[at + 1]!;
    if (at + 2 + len > b.length) throw new Error('INTEGER overruns');
    return { value: b.subarray(at + 2, at + 2 + len), next: at + 2 + len };
  };
  const r = int(2);
  const s = int(r.next);
  if (s.next !== b.length) throw new Error('trailing bytes');
  return { r: r.value, s: s.value };
}
