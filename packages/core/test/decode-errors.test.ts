import {
  DECODE_ERROR_REASONS,
  DecodeError,
  fromHex,
  parseSignRequest,
  SignatoryError,
  type DecodeErrorReason,
  type SignerKeyType,
} from '@signatory-ts/core';
import { BRANCH, dyn, i32, managerHeader, pkh, rep, u16 } from './hex-builder';

const TX = (amountHex: string) => '03' + BRANCH + '6c' + managerHeader() + amountHex + '00' + pkh(0) + '00';
const PACK_DEEP = '05' + '05'.repeat(600).replace(/05/g, '0509') + '030b';
const ATT_TZ1 = '13' + rep('01', 4) + BRANCH + '15' + u16(1) + i32(5) + i32(0) + rep('00', 32);

/** One request per reason, with the offset the error must name. */
const CASES: Record<DecodeErrorReason, { hex: string; offset: number; keyType?: SignerKeyType }> = {
  short_input: { hex: ATT_TZ1.slice(0, -2), offset: 48 },
  trailing_bytes: { hex: ATT_TZ1 + '00', offset: 80 },
  unknown_magic: { hex: '0a00', offset: 0 },
  not_a_sign_request: { hex: '0401' + pkh(0) + 'ff', offset: 0 },
  unknown_tag: { hex: '03' + BRANCH + '07' + rep('00', 10), offset: 33 },
  tag_not_allowed: { hex: '03' + BRANCH + 'ff03' + rep('00', 32), offset: 33 },
  bad_option: { hex: '03' + BRANCH + '6e' + managerHeader() + '01', offset: 33 + 1 + 21 + 2 + 1 + 2 + 1 },
  zarith_too_long: { hex: TX('ffffffffffffffffffff01'), offset: 33 + 1 + 21 + 2 + 1 + 2 + 1 },
  zarith_trailing_zero: { hex: TX('8000'), offset: 33 + 1 + 21 + 2 + 1 + 2 + 1 + 1 },
  zarith_negative_zero: { hex: '05' + '0040', offset: 2 },
  bad_length: { hex: '05' + '01' + 'ffffff00' + 'abcd', offset: 2 },
  bad_fitness: {
    hex: '11' + rep('01', 4) + i32(5) + '18' + rep('22', 32) + rep('00', 8) + '04' + rep('33', 32) + dyn(dyn('01') + dyn(rep('00', 8))),
    offset: 83,
  },
  bad_votes: {
    hex:
      '11' +
      rep('01', 4) +
      i32(5) +
      '18' +
      rep('22', 32) +
      rep('00', 8) +
      '04' +
      rep('33', 32) +
      dyn(dyn('02') + dyn(i32(5)) + dyn('') + dyn(i32(-1)) + dyn(i32(0))) +
      rep('44', 32) +
      rep('55', 32) +
      i32(0) +
      rep('00', 8) +
      '00' +
      '04',
    offset: 83 + 4 + 33 + 32 + 32 + 4 + 8 + 1,
  },
  bad_value: { hex: '03' + BRANCH + '06' + pkh(0) + i32(1) + rep('00', 32) + '03', offset: 33 + 1 + 21 + 4 + 32 },
  key_type_mismatch: { hex: ATT_TZ1, offset: 37, keyType: 'tz4' },
  empty_operation_list: { hex: '03' + BRANCH, offset: 33 },
  bad_batch: { hex: '03' + BRANCH + '11' + dyn('') + '11' + dyn(''), offset: 33 },
  too_deep: { hex: PACK_DEEP, offset: -1 },
};

describe('DecodeError', () => {
  it('covers every reason code with a case', () => {
    expect(Object.keys(CASES).sort()).toEqual([...DECODE_ERROR_REASONS].sort());
  });

  it.each(Object.entries(CASES))('%s: refused with that reason, the offset, code bad_request', (reason, c) => {
    let err: unknown;
    try {
      parseSignRequest(fromHex(c.hex), c.keyType);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toBeInstanceOf(SignatoryError);
    const d = err as DecodeError;
    expect(d.reason).toBe(reason);
    expect(d.code).toBe('bad_request');
    if (c.offset >= 0) expect(d.offset).toBe(c.offset);
    expect(d.message).toContain(`${reason} at byte ${d.offset}`);
    expect(d.expected.length).toBeGreaterThan(0);
  });

  it('names the magic bytes it decodes (derived from MAGIC_BYTES and the consensus tags) when the first byte is unknown', () => {
    expect(() => parseSignRequest(fromHex('0a00'))).toThrow(
      'unknown_magic at byte 0: expected magic byte 0x03 (generic), 0x05 (pack), 0x11 (block), 0x12 (preattestation) or 0x13 (attestation) (got 0x0a)',
    );
  });

  it('fails a huge length prefix before allocating anything', () => {
    const hex = '05' + '0a' + 'ffffffff';
    expect(() => parseSignRequest(fromHex(hex))).toThrow(expect.objectContaining({ reason: 'bad_length', offset: 2 }));
  });
});
