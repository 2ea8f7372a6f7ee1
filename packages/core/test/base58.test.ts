import { b58Decode, b58Encode, PREFIXES, PrefixName } from '../src/base58';

describe('base58 prefix table', () => {
  it.each(Object.keys(PREFIXES) as PrefixName[])('%s gives its text prefix for all-00 and all-ff payloads', (name) => {
    const text = name.replace(/(32|64)$/, '');
    for (const fill of [0x00, 0xff]) {
      const s = b58Encode(name, new Uint8Array(PREFIXES[name].length).fill(fill));
      expect(s.startsWith(text)).toBe(true);
      expect(b58Decode(s, [name]).payload[0]).toBe(fill);
    }
  });

  it('names the wrong prefix', () => {
    const tz1 = b58Encode('tz1', new Uint8Array(20));
    expect(() => b58Decode(tz1, ['tz3'])).toThrow(/expected prefix \(tz3\)/);
  });

  it('rejects a bad checksum', () => {
    const tz1 = b58Encode('tz1', new Uint8Array(20).fill(1));
    const bad = tz1.slice(0, -1) + (tz1.endsWith('a') ? 'b' : 'a');
    expect(() => b58Decode(bad, ['tz1'])).toThrow(/not valid base58check/);
  });
});
