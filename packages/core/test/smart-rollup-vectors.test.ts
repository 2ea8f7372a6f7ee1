/**
 * Differential test against an independent oracle for the smart rollup operations Taquito cannot
 * forge (cement, publish, refute, timeout, recover_bond: tags 202-205, 207): vectors/smart-rollup.json
 * holds them as Octez's own Kaitai Struct description of the U025 operation encoding read them, and
 * bytes it refuses (see scripts/gen-zk-vectors.js for the source and how to regenerate).
 */
import { describeOracleVectors, type Vector } from './kaitai-oracle';
import vectorFile from './vectors/smart-rollup.json';

const vectors = (vectorFile as unknown as { vectors: Vector[] }).vectors;

describeOracleVectors('smart rollup operations (tags 202-205, 207)', vectors);

describe('smart rollup oracle vectors', () => {
  it('cover every kind and every refutation, step, input proof and reveal proof case', () => {
    const kinds = new Set(vectors.flatMap((v) => v.kaitai?.contents.map((c) => c.operation__alpha__contents_tag) ?? []));
    expect([...kinds].sort()).toEqual([
      'smart_rollup_cement',
      'smart_rollup_publish',
      'smart_rollup_recover_bond',
      'smart_rollup_refute',
      'smart_rollup_timeout',
    ]);
    const file = JSON.stringify(vectors);
    for (const kase of ['start', 'move', 'dissection', 'proof', 'inbox__proof', 'reveal__proof', 'first__input']) {
      expect(file).toContain(`"${kase}"`);
    }
    for (const kase of ['raw__data__proof', 'metadata__proof', 'dal__page__proof', 'dal__parameters__proof']) {
      expect(file).toContain(`"reveal_proof_tag":"${kase}"`);
    }
  });
});
