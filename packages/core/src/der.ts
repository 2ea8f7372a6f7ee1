import { DER } from '@noble/curves/abstract/weierstrass';
import { ecdsaCurve, type EcdsaCurve } from './curves';

/** Thrown for a DER ECDSA signature that is not exactly `SEQUENCE { INTEGER r, INTEGER s }` in strict DER. */
export class DerError extends TypeError {
  override readonly name = 'DerError';
}

type Field = 'SEQUENCE' | 'r' | 's';

/** Names what is wrong with the tag-length header at the start of `data`, which noble's reader refused. */
function headerDefect(field: Field, data: Uint8Array): string {
  const [tag, len] = data;
  if (field === 'SEQUENCE') {
    if (tag !== 0x30) return 'expected a SEQUENCE (0x30)';
    if (len === undefined) return 'missing SEQUENCE length';
    if (len & 0x80) return 'SEQUENCE uses a long-form length, which DER forbids below 128 bytes';
    return `SEQUENCE length ${len} runs past the end (${data.length - 2} bytes follow)`;
  }
  if (tag !== 0x02) return `${field}: expected INTEGER (0x02), got ${tag === undefined ? 'end of data' : '0x' + tag.toString(16)}`;
  if (len === undefined) return `${field}: missing length`;
  if (len > 33) return `${field}: INTEGER of ${len} bytes is longer than a 256-bit value`;
  return `${field}: INTEGER runs past the end of the signature`;
}

/** One tag-length-value read by noble's DER reader (strict: minimal length, value within `data`). */
function readTlv(field: Field, data: Uint8Array): { value: Uint8Array; rest: Uint8Array } {
  try {
    const { v, l } = DER._tlv.decode(field === 'SEQUENCE' ? 0x30 : 0x02, data);
    return { value: v, rest: l };
  } catch (e) {
    if (e instanceof DER.Err) throw new DerError(headerDefect(field, data));
    throw e;
  }
}

/** One strict-DER INTEGER (minimal, non-negative, at most 33 bytes) at the start of `data`, read by noble. */
function readInteger(field: 'r' | 's', data: Uint8Array): { value: bigint; rest: Uint8Array } {
  const { value: body, rest } = readTlv(field, data);
  if (body.length === 0) throw new DerError(`${field}: empty INTEGER`);
  if (body.length > 33) throw new DerError(`${field}: INTEGER of ${body.length} bytes is longer than a 256-bit value`);
  let value = 0n; // noble reads a lone 0x00 as a needless leading zero; it is zero
  if (body.length > 1 || body[0] !== 0) {
    try {
      value = DER._int.decode(body);
    } catch (e) {
      if (!(e instanceof DER.Err)) throw e;
      throw new DerError(body[0]! & 0x80 ? `${field}: negative INTEGER` : `${field}: INTEGER has a needless leading zero (not DER)`);
    }
  }
  return { value, rest };
}

/**
 * DER ECDSA signature (what KMS Sign returns) -> 64-byte r‖s, each left-padded to 32 bytes.
 * Strict: one SEQUENCE with a short-form length that covers the rest exactly, two minimal
 * non-negative INTEGERs, no trailing bytes, and 0 < r, s < n for the curve. S is returned as
 * given; see `normalizeLowS`. The reading is @noble/curves' DER reader; this wrapper only adds the
 * size and range checks and words each refusal as a `DerError` that names the defect.
 */
export function derToCompact(der: Uint8Array, curve: EcdsaCurve): Uint8Array {
  if (der.length > 72) throw new DerError(`${der.length} bytes is longer than any 256-bit ECDSA signature (72 at most)`);
  const seq = readTlv('SEQUENCE', der);
  if (seq.rest.length > 0) throw new DerError(`${seq.rest.length} trailing byte(s) after the SEQUENCE`);
  const r = readInteger('r', seq.value);
  const s = readInteger('s', r.rest);
  if (s.rest.length > 0) throw new DerError(`${s.rest.length} trailing byte(s) inside the SEQUENCE`);
  const { Signature, Point } = ecdsaCurve(curve);
  for (const [field, value] of [
    ['r', r.value],
    ['s', s.value],
  ] as const) {
    if (value === 0n) throw new DerError(`${field} is zero`);
    if (value >= Point.Fn.ORDER) throw new DerError(`${field} is not below the ${curve} group order`);
  }
  return new Signature(r.value, s.value).toBytes('compact');
}
