import { DecodeError, fromHex, parseSignRequest, policyKind, type GenericRequest, type Protocol } from '@signatory-ts/core';
import { BRANCH, dyn, i32, managerHeader, pkh, rep, u8, zz } from './hex-builder';
import vectorFile from './vectors/zk-rollup.json';

/*
 * ZK rollup operations (tags 250-252), built by hand from the binary layout (octez-codec dump of the
 * operation encoding; Octez zk_rollup_*_repr.ml): manager header, then the body below.
 * Scalars are 32 bytes; a state is dyn(list of scalars); strings are dyn bytes.
 * Each byte string built here is also a vector of vectors/zk-rollup.json (checked below), whose
 * fields an independent parser read (Octez's Kaitai description; zk-rollup-vectors.test.ts).
 */
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const S1 = rep('11', 32);
const S2 = rep('22', 32);
const S3 = rep('33', 32);
const ROLLUP = rep('cd', 20);

const generic = (ops: string, protocol: Protocol = 'ushuaia'): GenericRequest =>
  parseSignRequest(fromHex('03' + BRANCH + ops), undefined, { protocol }) as GenericRequest;
const json = (ops: string, protocol?: Protocol): Record<string, unknown>[] =>
  JSON.parse(JSON.stringify(generic(ops, protocol).operations)) as Record<string, unknown>[];
function failure(ops: string): DecodeError {
  try {
    generic(ops);
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('decoded');
}
const HEADER_JSON = { source: expect.stringMatching(/^tz1/) as unknown, fee: '1000', counter: '7', gas_limit: '1500', storage_limit: '0' };

// --- zk_rollup_origination (250): public_parameters dyn bytes, circuits_info dyn(list of (dyn string, u8 flag)),
//     init_state dyn(list of scalars), nb_ops int31.
const circuit = (name: string, flag: number): string => dyn(ascii(name)) + u8(flag);
const origination = (flags: [number, number] = [0, 2]): string =>
  'fa' + managerHeader() + dyn('0102ff') + dyn(circuit('main', flags[0]) + circuit('fees', flags[1])) + dyn(S1 + S2) + i32(4);

// --- zk_rollup_publish (251): zk_rollup 20 bytes, op dyn(list of (l2 op, ticket option union)).
const l2op = (opCode: number, amount: number, payload: string): string =>
  i32(opCode) + rep('ee', 32) + zz(amount) + pkh(1, '5b') + ROLLUP + dyn(payload);
const NO_TICKET = '00';
// Some: contents (Micheline Int 7), ty (prim `nat`, no args), ticketer (KT1: tag 1, 20 bytes, padding 0).
const TICKET = '01' + '00' + zz(7) + '03' + u8(98) + '01' + rep('44', 20) + '00';
const publish = (ticketTag = TICKET): string =>
  'fb' + managerHeader() + ROLLUP + dyn(l2op(1, -5, S3) + NO_TICKET + l2op(2, 300, '') + ticketTag);

// --- zk_rollup_update (252): zk_rollup 20 bytes, update { pending_pis dyn(list of (dyn string, {new_state, fee, exit_validity bool})),
//     private_pis dyn(list of (dyn string, {new_state, fee})), fee_pi { new_state }, proof dyn bytes }.
const update = (exitValidity = 'ff'): string =>
  'fc' +
  managerHeader() +
  ROLLUP +
  dyn(dyn(ascii('deposit')) + dyn(S1) + S2 + exitValidity) +
  dyn(dyn(ascii('transfer')) + dyn('') + S3) +
  dyn(S2 + S3) +
  dyn('abcdef');

describe('ZK rollup operations (tags 250-252) are decoded field by field', () => {
  it('decodes zk_rollup_origination', () => {
    expect(json(origination())).toEqual([
      {
        kind: 'zk_rollup_origination',
        ...HEADER_JSON,
        public_parameters: '0102ff',
        circuits_info: [
          ['main', 'public'],
          ['fees', 'fee'],
        ],
        init_state: [S1, S2],
        nb_ops: 4,
      },
    ]);
    expect(json(origination([1, 1]))[0]!.circuits_info).toEqual([
      ['main', 'private'],
      ['fees', 'private'],
    ]);
  });

  it('decodes zk_rollup_publish, with and without a ticket', () => {
    const [op] = json(publish());
    expect(op).toEqual({
      kind: 'zk_rollup_publish',
      ...HEADER_JSON,
      zk_rollup: ROLLUP,
      op: [
        [
          {
            op_code: 1,
            price: { id: rep('ee', 32), amount: '-5' },
            l1_dst: expect.stringMatching(/^tz2/),
            rollup_id: ROLLUP,
            payload: [S3],
          },
          null,
        ],
        [
          {
            op_code: 2,
            price: { id: rep('ee', 32), amount: '300' },
            l1_dst: expect.stringMatching(/^tz2/),
            rollup_id: ROLLUP,
            payload: [],
          },
          { contents: { int: '7' }, ty: { prim: 'nat' }, ticketer: expect.stringMatching(/^KT1/) },
        ],
      ],
    });
  });

  it('decodes zk_rollup_update', () => {
    expect(json(update())).toEqual([
      {
        kind: 'zk_rollup_update',
        ...HEADER_JSON,
        zk_rollup: ROLLUP,
        update: {
          pending_pis: [['deposit', { new_state: [S1], fee: S2, exit_validity: true }]],
          private_pis: [['transfer', { new_state: [], fee: S3 }]],
          fee_pi: { new_state: [S2, S3] },
          proof: 'abcdef',
        },
      },
    ]);
    expect(
      (json(update('00'))[0]!.update as { pending_pis: [string, { exit_validity: boolean }][] }).pending_pis[0]![1].exit_validity,
    ).toBe(false);
  });

  it('decodes them under Tallinn too, batched with other manager operations, with their own policy kind', () => {
    const delegation = '6e' + managerHeader() + '00';
    const req = generic(origination() + delegation + publish() + update(), 'tallinn');
    expect(req.operations.map((o) => policyKind(o))).toEqual([
      'zk_rollup_origination',
      'delegation',
      'zk_rollup_publish',
      'zk_rollup_update',
    ]);
  });
});

describe('the hand-built operations are oracle vectors', () => {
  const hexes = new Set((vectorFile as { vectors: { hex: string }[] }).vectors.map((v) => v.hex));
  it.each([
    ['origination', origination()],
    ['origination, private circuits', origination([1, 1])],
    ['publish', publish()],
    ['update', update()],
    ['update, exit_validity false', update('00')],
    ['the Tallinn batch', origination() + '6e' + managerHeader() + '00' + publish() + update()],
  ])('%s is in vectors/zk-rollup.json', (_name, ops) => {
    expect(hexes.has('03' + BRANCH + ops)).toBe(true);
  });
});

describe('malformed ZK rollup operations are refused with a DecodeError', () => {
  const cases: [string, string][] = [
    ['origination', origination()],
    ['publish', publish()],
    ['update', update()],
  ];
  it.each(cases)('refuses every truncation of a valid %s', (_name, ops) => {
    for (let n = 0; n < ops.length; n += 2) expect(failure(ops.slice(0, n)).code).toBe('bad_request');
  });

  it('refuses an unknown circuit flag (3)', () => {
    const e = failure(origination([0, 3]));
    expect(e.reason).toBe('unknown_tag');
    expect(e.expected).toMatch(/circuit flag/);
  });

  it('refuses an unknown ticket tag (2)', () => {
    const e = failure(publish('02'));
    expect(e.reason).toBe('unknown_tag');
    expect(e.expected).toMatch(/ticket/);
  });

  it('refuses an exit_validity boolean other than 0x00 / 0xff', () => {
    expect(failure(update('01')).reason).toBe('bad_value');
  });

  it('refuses a state that is not a whole number of 32-byte scalars', () => {
    const ops = 'fa' + managerHeader() + dyn('') + dyn('') + dyn(S1 + '11') + i32(1);
    expect(failure(ops).code).toBe('bad_request');
  });

  it('refuses an unknown L1 destination key tag inside a published operation', () => {
    const bad = 'fb' + managerHeader() + ROLLUP + dyn(i32(1) + rep('ee', 32) + zz(1) + pkh(9) + ROLLUP + dyn('') + NO_TICKET);
    expect(failure(bad).reason).toBe('unknown_tag');
  });

  it('refuses nb_ops outside int31', () => {
    const ops = 'fa' + managerHeader() + dyn('') + dyn('') + dyn('') + i32(0x40000000);
    expect(failure(ops).reason).toBe('bad_value');
  });
});
