import {
  CURRENT_PROTOCOL,
  DecodeError,
  defineProtocol,
  fromHex,
  OPERATION_TABLES,
  PROTOCOL_REGISTRY,
  PROTOCOLS,
  USHUAIA_OPERATIONS,
  parseSignRequest,
  type GenericRequest,
  type ProtocolTables,
} from '@signatory-ts/core';
import { ProtocolsHash } from '@taquito/local-forging';
import { BRANCH, managerHeader, pkh, u16, u8 } from './hex-builder';

const ushuaia = PROTOCOL_REGISTRY.ushuaia;

/** A protocol that exists only here: one tag added, one replaced, one removed, tz4 and tz5 unknown. */
const madeUp: ProtocolTables = defineProtocol(
  {
    name: 'madeup',
    hashPrefix: 'PsMadeUp',
    keyTags: ['tz1', 'tz2', 'tz3'],
    operations: {
      add: [{ tag: 100, kind: 'made_up_note', manager: false, fields: [['note', (r) => r.u16('note')]] }],
      replace: [{ tag: 17, kind: 'failing_noop', manager: false, fields: [['code', (r) => r.u8('code')]] }],
      remove: [110],
    },
  },
  ushuaia,
);

const decode = (ops: string, protocol: ProtocolTables = madeUp): GenericRequest =>
  parseSignRequest(fromHex('03' + BRANCH + ops), undefined, { protocol }) as GenericRequest;
function refusal(ops: string, protocol: ProtocolTables = madeUp): DecodeError {
  try {
    decode(ops, protocol);
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('decoded');
}

describe('the protocol registry', () => {
  it('has one current protocol, listed first, whose table is the Ushuaia rows', () => {
    expect(CURRENT_PROTOCOL).toBe('ushuaia');
    expect(PROTOCOLS).toEqual(['ushuaia', 'tallinn']);
    expect(OPERATION_TABLES.ushuaia).toEqual(USHUAIA_OPERATIONS);
    expect(PROTOCOL_REGISTRY.tallinn.keyTags.map((k) => k.pkh)).toEqual(['tz1', 'tz2', 'tz3', 'tz4']);
  });

  it('names each protocol by a prefix of its hash (Taquito as the oracle)', () => {
    expect(ProtocolsHash.PsUshuai9.startsWith(PROTOCOL_REGISTRY.ushuaia.hashPrefix)).toBe(true);
    expect(ProtocolsHash.PtTALLiNt.startsWith(PROTOCOL_REGISTRY.tallinn.hashPrefix)).toBe(true);
  });

  it('decodes with a protocol made from a diff alone: the added tag', () => {
    expect(decode('64' + u16(513)).operations).toEqual([{ kind: 'made_up_note', note: 513 }]);
    expect(refusal('64' + u16(513), ushuaia).reason).toBe('unknown_tag');
  });

  it('decodes with a protocol made from a diff alone: the replaced tag', () => {
    expect(decode('11' + u8(7)).operations).toEqual([{ kind: 'failing_noop', code: 7 }]);
    expect(decode('11' + '00000001' + 'ab', ushuaia).operations).toEqual([{ kind: 'failing_noop', arbitrary: 'ab' }]);
  });

  it('decodes with a protocol made from a diff alone: the removed tag, named in the error', () => {
    const e = refusal('6e' + managerHeader() + '00');
    expect(e.reason).toBe('unknown_tag');
    expect(e.expected).toBe('an operation tag known to madeup');
    expect(decode('6e' + managerHeader() + '00', ushuaia).operations[0]!.kind).toBe('delegation');
  });

  it('keeps every other row and checks key tags against its own list, in the error text too', () => {
    const reveal = (source: string) => '6b' + managerHeader(source) + u8(0) + 'cd'.repeat(32) + '00';
    expect(decode(reveal(pkh(0))).operations[0]!.kind).toBe('reveal');
    const e = refusal(reveal(pkh(3)));
    expect(e.reason).toBe('unknown_tag');
    expect(e.expected).toBe('public key hash key tag 0..2 (tz1/tz2/tz3)');
    expect(String(decode(reveal(pkh(3)), ushuaia).operations[0]!.source)).toMatch(/^tz4/);
  });

  it('refuses a protocol name it does not have, own keys only', () => {
    for (const name of ['nairobi', 'constructor', 'toString']) {
      expect(() =>
        parseSignRequest(fromHex('03' + BRANCH + '6e' + managerHeader() + '00'), undefined, { protocol: name as 'ushuaia' }),
      ).toThrow(`unknown protocol ${JSON.stringify(name)}: one of ushuaia, tallinn`);
    }
  });

  it('refuses a diff that does not fit its base', () => {
    const row = (tag: number) => ({ tag, kind: 'x', manager: false, fields: [] });
    const def =
      (operations: object, keyTags = ['tz1']) =>
      () =>
        defineProtocol({ name: 'bad', hashPrefix: 'Ps', keyTags, operations }, ushuaia);
    expect(def({ add: [row(17)] })).toThrow('protocol bad: adds tag 17, which ushuaia already has (replace it instead)');
    expect(def({ replace: [row(99)] })).toThrow('protocol bad: replaces tag 99, which ushuaia does not have');
    expect(def({ remove: [99] })).toThrow('protocol bad: removes tag 99, which ushuaia does not have');
    expect(def({}, ['tz2'])).toThrow('key tags must be the first of tz1, tz2, tz3, tz4, tz5 in order, got tz2');
  });
});
