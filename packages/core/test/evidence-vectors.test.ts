/**
 * Differential test against an independent oracle for the evidence operations Taquito cannot forge
 * (double_consensus_operation_evidence with every inlined consensus kind, double_baking_evidence,
 * dal_entrapment_evidence: tags 2, 3, 24): vectors/evidence.json holds them as Octez's own Kaitai Struct
 * description of the U025 operation encoding read them, with the inlined operation's `varopt` signature
 * read as Octez writes it, and bytes it refuses (see scripts/gen-zk-vectors.js).
 */
import { describeOracleVectors, refusal, type Vector } from './kaitai-oracle';
import { dyn, i32, rep } from './hex-builder';
import vectorFile from './vectors/evidence.json';

const vectors = (vectorFile as unknown as { vectors: Vector[] }).vectors;

describeOracleVectors('evidence operations (tags 2, 3, 24)', vectors);

describe('evidence oracle vectors', () => {
  it('cover every evidence kind and every inlined consensus kind', () => {
    const kinds = new Set(vectors.flatMap((v) => v.kaitai?.contents.map((c) => c.operation__alpha__contents_tag) ?? []));
    expect([...kinds].sort()).toEqual(['dal_entrapment_evidence', 'double_baking_evidence', 'double_consensus_operation_evidence']);
    const file = JSON.stringify(vectors);
    for (const kind of ['preattestation', 'attestation', 'attestation_with_dal', 'preattestations_aggregate', 'attestations_aggregate']) {
      expect(file).toContain(`"inlined__consensus_operation__contents_tag":"${kind}"`);
    }
    for (const branch of [
      '"seed_nonce_hash_tag":"true"',
      '"lag_index_tag":"true"',
      '"lag_index_tag":"false"',
      '"dal_attestation_tag":"true"',
    ]) {
      expect(file).toContain(branch);
    }
  });
});

/** The first vector named `name`, as bytes. */
const bytesOf = (name: string): Buffer => Buffer.from(vectors.find((v) => v.name === name)!.hex, 'hex');
// double consensus: 0x03, branch (32), tag 0x02, slot (2), then op1: length (4), branch (32), tag, slot (2), level, round
const OP1 = 1 + 32 + 1 + 2;
const OP1_LEVEL = OP1 + 4 + 32 + 1 + 2;

describe('evidence: what the oracle does not check, ours refuses (as Octez does)', () => {
  const TWO_ATTESTATIONS = 'double consensus: two attestations';

  it('a negative level or round in an inlined consensus operation (Octez raw_level_repr.ml, round_repr.ml)', () => {
    for (const [at, what] of [
      [OP1_LEVEL, 'level'],
      [OP1_LEVEL + 4, 'round'],
    ] as const) {
      const b = bytesOf(TWO_ATTESTATIONS);
      b.writeInt32BE(-1, at);
      expect(refusal(b.toString('hex'))).toMatchObject({ reason: 'bad_value', offset: at, expected: `${what} >= 0` });
    }
  });

  it('an inlined operation signature of neither 64 nor 96 bytes, or none (Octez: a varopt, absent when no bytes remain)', () => {
    for (const cut of [1, 64]) {
      const b = bytesOf(TWO_ATTESTATIONS);
      const op1Length = b.readUInt32BE(OP1);
      b.writeUInt32BE(op1Length - cut, OP1);
      const shorter = Buffer.concat([b.subarray(0, OP1 + 4 + op1Length - cut), b.subarray(OP1 + 4 + op1Length)]);
      expect(refusal(shorter.toString('hex'))).toMatchObject({ reason: 'bad_length', expected: 'a 64- or 96-byte signature' });
    }
  });

  it('a block header whose fitness is not a Tenderbake fitness for its level, or whose payload round is above its round', () => {
    const hex = bytesOf('double baking: two headers, BLS and generic signatures, with and without a seed nonce hash').toString('hex');
    // the first header's fitness: [02][level 9][][-1][round 0]; its level element at the first occurrence
    const fitness = dyn(dyn('02') + dyn(i32(9)) + dyn('') + dyn(i32(-1)) + dyn(i32(0)));
    expect(hex).toContain(fitness);
    const otherLevel = dyn(dyn('02') + dyn(i32(8)) + dyn('') + dyn(i32(-1)) + dyn(i32(0)));
    expect(refusal(hex.replace(fitness, otherLevel))).toMatchObject({ reason: 'bad_fitness' });
    const payloadRound = rep('55', 32) + i32(0);
    expect(hex).toContain(payloadRound);
    expect(refusal(hex.replace(payloadRound, rep('55', 32) + i32(1)))).toMatchObject({ reason: 'bad_fitness' });
  });
});
