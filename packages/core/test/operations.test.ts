import {
  DecodeError,
  fromHex,
  OPERATION_KINDS,
  OPERATION_TABLES,
  TALLINN_DAL_ENTRAPMENT_EVIDENCE,
  USHUAIA_OPERATIONS,
  parseSignRequest,
  policyKind,
  type DecodedOperation,
  type GenericRequest,
  type Protocol,
} from '@signatory-ts/core';
import { BRANCH, dyn, i32, i64, managerHeader, pkh, rep, u16, u8, zn, zz } from './hex-builder';

const generic = (ops: string, protocol: Protocol = 'ushuaia'): GenericRequest =>
  parseSignRequest(fromHex('03' + BRANCH + ops), undefined, { protocol }) as GenericRequest;
/** The single decoded operation, as decoded (B58 values for keys and hashes). */
const decodedOne = (op: string, protocol: Protocol = 'ushuaia'): DecodedOperation => {
  const req = generic(op, protocol);
  expect(req.operations).toHaveLength(1);
  return req.operations[0]!;
};
/** The single decoded operation in its JSON form (base58 text). */
const one = (op: string, protocol: Protocol = 'ushuaia'): Record<string, unknown> =>
  JSON.parse(JSON.stringify(decodedOne(op, protocol))) as Record<string, unknown>;
function reasonOf(hex: string, protocol: Protocol = 'ushuaia'): string {
  try {
    parseSignRequest(fromHex(hex), undefined, { protocol });
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return (e as DecodeError).reason;
  }
  throw new Error('decoded');
}

const SIG64 = rep('5a', 64);
const inlinedAttestation = (slot: number): string => dyn(BRANCH + '15' + u16(slot) + i32(100) + i32(0) + rep('11', 32) + SIG64);

describe('the operation table', () => {
  it('names exactly the OPERATION_KINDS vocabulary', () => {
    expect(USHUAIA_OPERATIONS.map((s) => s.kind).sort()).toEqual([...OPERATION_KINDS].sort());
  });

  it('has one row per tag, managers exactly at tags >= 107', () => {
    const tags = USHUAIA_OPERATIONS.map((s) => s.tag);
    expect(new Set(tags).size).toBe(tags.length);
    for (const s of USHUAIA_OPERATIONS) if (s.kind !== 'signature_prefix') expect(s.manager).toBe(s.tag >= 107);
  });

  it('makes Tallinn a diff: only dal_entrapment_evidence differs', () => {
    const differ = OPERATION_TABLES.ushuaia.filter((s, i) => OPERATION_TABLES.tallinn[i] !== s).map((s) => s.kind);
    expect(differ).toEqual([TALLINN_DAL_ENTRAPMENT_EVIDENCE.kind]);
    expect(differ).toEqual(['dal_entrapment_evidence']);
  });
});

describe('generic operations Taquito cannot forge', () => {
  const entrapment = (lag: string) =>
    '18' + inlinedAttestation(3) + u16(3) + u8(9) + lag + i32(12) + dyn(rep('01', 32) + rep('02', 32)) + rep('03', 48);

  it('reads dal_entrapment_evidence with lag_index under Ushuaia and without it under Tallinn', () => {
    const u = one(entrapment('ff04'));
    expect(u).toMatchObject({ kind: 'dal_entrapment_evidence', consensus_slot: 3, slot_index: 9, lag_index: 4 });
    // Octez's JSON: the shard is a pair [index, share] (data-encoding tup2), not an object
    expect(u.shard_with_proof).toEqual({ shard: [12, [rep('01', 32), rep('02', 32)]], proof: rep('03', 48) });
    expect((u.attestation as { operations: unknown }).operations).toMatchObject({ kind: 'attestation', slot: 3, level: 100, round: 0 });
    const t = one(entrapment(''), 'tallinn');
    expect(t).not.toHaveProperty('lag_index');
    expect(t.shard_with_proof).toEqual(u.shard_with_proof);
    // the Tallinn bytes are not Ushuaia bytes, and the other way round
    expect(() => generic(entrapment(''))).toThrow(DecodeError);
    expect(() => generic(entrapment('ff04'), 'tallinn')).toThrow(DecodeError);
  });

  it('accepts tz5 (ML-DSA-44, key tag 4) from Ushuaia only', () => {
    const op = '6e' + managerHeader(pkh(4)) + '00';
    expect(one(op).source).toMatch(/^tz5/);
    expect(reasonOf('03' + BRANCH + op, 'tallinn')).toBe('unknown_tag');
  });

  it('reads double_consensus_operation_evidence with two inlined attestations', () => {
    const op = one('02' + u16(5) + inlinedAttestation(5) + inlinedAttestation(5));
    expect(op).toMatchObject({ kind: 'double_consensus_operation_evidence', slot: 5 });
    expect((op.op1 as { signature: string }).signature).toMatch(/^sig/);
  });

  it('reads double_baking_evidence with two signed headers', () => {
    const fitness = dyn(dyn('02') + dyn(i32(9)) + dyn('') + dyn(i32(-1)) + dyn(i32(1)));
    const header =
      i32(9) +
      '18' +
      rep('22', 32) +
      i64(1767225600n) +
      '04' +
      rep('33', 32) +
      fitness +
      rep('44', 32) +
      rep('55', 32) +
      i32(0) +
      rep('00', 8) +
      '00' +
      '02';
    const op = one('03' + dyn(header + rep('66', 96)) + dyn(header + SIG64));
    expect(op.bh1).toMatchObject({ level: 9, round: 1, liquidityBakingVote: 'pass', signature: expect.stringMatching(/^BLsig/) });
    expect(op.bh2).toMatchObject({ level: 9, signature: expect.stringMatching(/^sig/) });
  });

  it('reads vdf_revelation', () => {
    expect(one('08' + rep('01', 100) + rep('02', 100)).solution).toEqual([rep('01', 100), rep('02', 100)]);
  });

  it('reads the aggregates (never signed, but decodable)', () => {
    const content = i32(1331) + i32(0) + rep('00', 32);
    expect(one('1e' + content + dyn(u16(1) + u16(7)))).toMatchObject({ kind: 'preattestations_aggregate', committee: [1, 7] });
    const att = one('1f' + content + dyn(u16(0) + '00' + u16(23) + 'ff' + zz(2048) + u16(51) + 'ff00'));
    expect(att.committee).toEqual([{ slot: 0 }, { slot: 23, dal_attestation: '2048' }, { slot: 51, dal_attestation: '0' }]);
  });

  it('reads the smart-rollup operator operations', () => {
    const sr = rep('0a', 20);
    expect(one('ca' + managerHeader() + sr)).toMatchObject({ kind: 'smart_rollup_cement', rollup: expect.stringMatching(/^sr1/) });
    expect(one('cb' + managerHeader() + sr + rep('01', 32) + i32(77) + rep('02', 32) + i64(123456789012n)).commitment).toMatchObject({
      compressed_state: expect.stringMatching(/^srs1/),
      inbox_level: 77,
      predecessor: expect.stringMatching(/^src1/),
      number_of_ticks: '123456789012',
    });
    expect(one('cd' + managerHeader() + sr + pkh(1) + pkh(2)).stakers).toEqual({
      alice: expect.stringMatching(/^tz2/),
      bob: expect.stringMatching(/^tz3/),
    });
    expect(one('cf' + managerHeader() + sr + pkh(0)).staker).toMatch(/^tz1/);
    const start = one('cc' + managerHeader() + sr + pkh(0) + '00' + rep('01', 32) + rep('02', 32));
    expect(start.refutation).toMatchObject({ refutation_kind: 'start' });
    const dissection = one('cc' + managerHeader() + sr + pkh(0) + '01' + zn(5) + '00' + dyn('ff' + rep('03', 32) + zn(0) + '00' + zn(100)));
    expect(dissection.refutation).toEqual({
      refutation_kind: 'move',
      choice: '5',
      step: [{ state: expect.stringMatching(/^srs1/), tick: '0' }, { tick: '100' }], // Octez's JSON: the bare list
    });
    const proof = one(
      'cc' + managerHeader() + sr + pkh(0) + '01' + zn(5) + '01' + dyn('abcd') + 'ff' + '01' + '02' + i32(10) + '03' + '0004' + dyn('ee'),
    );
    expect(proof.refutation).toMatchObject({
      step: {
        pvm_step: 'abcd',
        input_proof: {
          input_proof_kind: 'reveal_proof',
          reveal_proof: {
            reveal_proof_kind: 'dal_page_proof',
            dal_page_id: { published_level: 10, slot_index: 3, page_index: 4 },
            dal_proof: 'ee',
          },
        },
      },
    });
  });

  it('reads increase_paid_storage amounts as Zarith Z (Octez), including negative ones', () => {
    const op = one('71' + managerHeader() + zz(-100000) + '01' + rep('0c', 20) + '00');
    expect(op).toMatchObject({ amount: '-100000', destination: expect.stringMatching(/^KT1/) });
  });

  it('classifies ballots for policy as ballot:<vote>', () => {
    for (const [b, vote] of [
      [0, 'yay'],
      [1, 'nay'],
      [2, 'pass'],
    ] as const) {
      expect(policyKind(decodedOne('06' + pkh(0) + i32(3) + rep('09', 32) + u8(b)))).toBe(`ballot:${vote}`);
    }
  });

  it('does not treat a staking entrypoint on another account as a pseudo-operation', () => {
    const tx = (dest: string) => '6c' + managerHeader(pkh(0, 'ab')) + zn(1) + dest + 'ff06' + dyn('030b');
    expect(policyKind(decodedOne(tx('00' + pkh(0, 'ab'))))).toBe('stake');
    expect(policyKind(decodedOne(tx('00' + pkh(0, 'cd'))))).toBe('transaction');
    // same 20 hash bytes under another key type (tz2) or as an originated contract (KT1): another account
    expect(policyKind(decodedOne(tx('00' + pkh(1, 'ab'))))).toBe('transaction');
    expect(policyKind(decodedOne(tx('01' + rep('ab', 20) + '00')))).toBe('transaction');
  });
});

describe('operation list rules', () => {
  const ballot = '06' + pkh(0) + i32(3) + rep('09', 32) + '00';
  const delegation = '6e' + managerHeader() + '00';
  it('refuses an empty list', () => expect(reasonOf('03' + BRANCH)).toBe('empty_operation_list'));
  it('refuses a batch holding a non-manager operation, in either position', () => {
    expect(reasonOf('03' + BRANCH + ballot + ballot)).toBe('bad_batch');
    expect(reasonOf('03' + BRANCH + delegation + ballot)).toBe('bad_batch');
    expect(reasonOf('03' + BRANCH + ballot + delegation)).toBe('bad_batch');
  });
  it('accepts a batch of manager operations', () => expect(generic(delegation + delegation + delegation).operations).toHaveLength(3));
  it('refuses signature_prefix (255) and consensus tags in a 0x03 request', () => {
    expect(reasonOf('03' + BRANCH + 'ff03' + rep('00', 32))).toBe('tag_not_allowed');
    for (const t of ['14', '15', '17', '28', '29']) expect(reasonOf('03' + BRANCH + t + rep('00', 42))).toBe('tag_not_allowed');
  });
  it('refuses retired and unknown tags', () => {
    for (const t of ['07', '16', '96', 'fd']) expect(reasonOf('03' + BRANCH + t + rep('00', 40))).toBe('unknown_tag');
  });
});
