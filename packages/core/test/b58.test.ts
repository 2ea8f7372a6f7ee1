import { inspect } from 'node:util';
import { LocalForger, ProtocolsHash } from '@taquito/local-forging';
import { B58, b58Encode, fromHex, parseSignRequest, type GenericRequest } from '@signatory-ts/core';
import { BRANCH, managerHeader, pkh, zn } from './hex-builder';

const bytes20 = (fill: number): Uint8Array => new Uint8Array(20).fill(fill);

describe('B58 values', () => {
  it('prints the same base58check text as b58Encode, through String, template strings and JSON', () => {
    const v = new B58('tz1', bytes20(7));
    const text = b58Encode('tz1', bytes20(7));
    expect(text).toMatch(/^tz1/);
    expect(v.toString()).toBe(text);
    expect(`${v}`).toBe(text);
    expect(JSON.stringify({ source: v })).toBe(`{"source":"${text}"}`);
    expect(inspect(v)).toBe(`B58(${text})`);
  });

  it('compares by prefix and bytes', () => {
    const a = new B58('tz1', bytes20(1));
    expect(a.equals(new B58('tz1', bytes20(1)))).toBe(true);
    expect(a.equals(new B58('tz1', bytes20(2)))).toBe(false);
    expect(a.equals(new B58('tz2', bytes20(1)))).toBe(false);
    expect(a.equals(new B58('KT1', bytes20(1)))).toBe(false);
    expect(a.equals(a.toString())).toBe(false);
    expect(a.equals(undefined)).toBe(false);
  });

  it('owns its bytes and cannot be changed', () => {
    const src = bytes20(3);
    const v = new B58('tz1', src);
    const before = v.toString();
    src.fill(9);
    expect(v.bytes).toEqual(bytes20(3));
    expect(v.toString()).toBe(before);
    expect(() => {
      (v as { prefix: string }).prefix = 'tz2';
    }).toThrow(TypeError);
    expect(v.prefix).toBe('tz1');
  });

  it('refuses a payload of the wrong length for its prefix', () => {
    expect(() => new B58('tz1', new Uint8Array(21))).toThrow(/tz1: payload must be 20 bytes, got 21/);
    expect(() => new B58('B', new Uint8Array(20))).toThrow(TypeError);
  });

  it('parses base58check text back, checking the prefix', () => {
    const text = b58Encode('KT1', bytes20(5));
    const v = B58.parse(text, ['tz1', 'KT1']);
    expect(v.prefix).toBe('KT1');
    expect(v.equals(new B58('KT1', bytes20(5)))).toBe(true);
    expect(() => B58.parse(text, ['tz1'])).toThrow(/expected prefix/);
  });
});

describe('the decoder returns B58 values', () => {
  it('for the branch, keys and addresses, equal to what Taquito prints', async () => {
    const hex = '03' + BRANCH + '6c' + managerHeader(pkh(2, 'cd')) + zn(1) + '01' + 'ee'.repeat(20) + '00' + '00';
    const req = parseSignRequest(fromHex(hex)) as GenericRequest;
    const op = req.operations[0]!;
    expect(req.branch).toBeInstanceOf(B58);
    expect(op.source).toBeInstanceOf(B58);
    expect(op.destination).toBeInstanceOf(B58);
    expect((op.source as B58).prefix).toBe('tz3');
    expect((op.destination as B58).bytes).toEqual(new Uint8Array(20).fill(0xee));
    const taquito = await new LocalForger(ProtocolsHash.PsUshuai9).parse(hex.slice(2));
    expect(String(req.branch)).toBe(taquito.branch);
    expect(JSON.parse(JSON.stringify(req.operations))).toEqual(taquito.contents);
  });
});
