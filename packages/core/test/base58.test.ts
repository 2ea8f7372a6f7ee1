import { b58Decode, b58Encode, maxB58Length, PREFIXES, type PrefixName } from '../src/base58';

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

describe('length bound before decoding', () => {
  it.each(Object.keys(PREFIXES) as PrefixName[])('%s: the longest text it produces is within maxB58Length', (name) => {
    for (const fill of [0x00, 0xff]) {
      expect(b58Encode(name, new Uint8Array(PREFIXES[name].length).fill(fill)).length).toBeLessThanOrEqual(maxB58Length(name));
    }
  });

  it('refuses text longer than any expected prefix can produce, naming its length, without echoing it whole', () => {
    const long = b58Encode('tz1', new Uint8Array(20)) + '1'.repeat(16_000);
    let message = '';
    try {
      b58Decode(long, ['tz1', 'tz2', 'tz3', 'tz4']);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/\(16036 characters\) is too long for tz1, tz2, tz3, tz4: at most 37$/);
    expect(message.length).toBeLessThan(200);
  });

  it('still decodes a pkh and the longest signature form', () => {
    expect(b58Decode(b58Encode('tz4', new Uint8Array(20).fill(7)), ['tz1', 'tz4']).prefix).toBe('tz4');
    const blsig = b58Encode('BLsig', new Uint8Array(96).fill(0xff));
    expect(b58Decode(blsig, ['edsig', 'BLsig']).payload).toHaveLength(96);
  });
});
