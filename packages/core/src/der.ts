import { concatBytes } from './bytes';
import { bigIntToBytes, bytesToBigInt, CURVE_ORDER, type EcdsaCurve } from './curves';

/** Thrown for a DER ECDSA signature that is not exactly `SEQUENCE { INTEGER r, INTEGER s }` in strict DER. */
export class DerError extends TypeError {
  override readonly name = 'DerError';
}

/** Reads one strict-DER INTEGER at `at`; returns its value and where the next field starts. */
function readInteger(der: Uint8Array, at: number, what: 'r' | 's'): { value: bigint; next: number } {
  if (der[at] !== 0x02) throw new DerError(`${what}: expected INTEGER (0x02), got ${der[at] === undefined ? 'end of data' : '0x' + der[at]!.toString(16)}`);
  const len = der[at + 1];
  if (len === undefined) throw new DerError(`${what}: missing length`);
  if (len === 0) throw new DerError(`${what}: empty INTEGER`);
  if (len > 33) throw new DerError(`${what}: INTEGER of ${len} bytes is longer than a 256-bit value`);
  const start = at + 2;
  const end = start + len;
  if (end > der.length) throw new DerError(`${what}: INTEGER runs past the end of the signature`);
  const body = der.subarray(start, end);
  if ((body[0]! & 0x80) !== 0) throw new DerError(`${what}: negative INTEGER`);
  if (len > 1 && body[0] === 0 && (body[1]! & 0x80) === 0) throw new DerError(`${what}: INTEGER has a needless leading zero (not DER)`);
  return { value: bytesToBigInt(body), next: end };
}

/**
 * DER ECDSA signature (what KMS Sign returns) -> 64-byte r‖s, each left-padded to 32 bytes.
 * Strict: one SEQUENCE with a short-form length that covers the rest exactly, two minimal
 * non-negative INTEGERs, no trailing bytes, and 0 < r, s < n for the curve. S is returned as
 * given; see `normalizeLowS`.
 */
export function derToCompact(der: Uint8Array, curve: EcdsaCurve): Uint8Array {
  if (der.length > 72) throw new DerError(`${der.length} bytes is longer than any 256-bit ECDSA signature (72 at most)`);
  if (der[0] !== 0x30) throw new DerError('expected a SEQUENCE (0x30)');
  const len = der[1];
  if (len === undefined) throw new DerError('missing SEQUENCE length');
  if (len & 0x80) throw new DerError('SEQUENCE uses a long-form length, which DER forbids below 128 bytes');
  if (len + 2 !== der.length) {
    throw new DerError(
      len + 2 > der.length
        ? `SEQUENCE length ${len} runs past the end (${der.length - 2} bytes follow)`
        : `${der.length - 2 - len} trailing byte(s) after the SEQUENCE`,
    );
  }
  const r = readInteger(der, 2, 'r');
  const s = readInteger(der, r.next, 's');
  if (s.next !== der.length) throw new DerError(`${der.length - s.next} trailing byte(s) inside the SEQUENCE`);
  const n = CURVE_ORDER[curve];
  for (const [what, v] of [['r', r.value], ['s', s.value]] as const) {
    if (v === 0n) throw new DerError(`${what} is zero`);
    if (v >= n) throw new DerError(`${what} is not below the ${curve} group order`);
  }
  return concatBytes(bigIntToBytes(r.value, 32), bigIntToBytes(s.value, 32));
}
