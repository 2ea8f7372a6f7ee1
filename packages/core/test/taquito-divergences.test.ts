/**
 * Where Taquito 25 reads an encoding differently from Octez (core README), the Kaitai oracle (Octez's
 * own description of the U025 operation encoding) settles it: vectors/taquito-divergences.json holds
 * a reveal with a BLS proof and a smart_rollup_originate with a whitelist inside batches, and
 * increase_paid_storage amounts as Zarith Z (see scripts/gen-zk-vectors.js and kaitai-oracle.ts).
 */
import { describeOracleVectors, type Vector } from './kaitai-oracle';
import vectorFile from './vectors/taquito-divergences.json';

const vectors = (vectorFile as unknown as { vectors: Vector[] }).vectors;

describeOracleVectors('operations Taquito reads differently from Octez', vectors);

describe('Taquito-divergence oracle vectors', () => {
  it('put the BLS proof and the whitelist before another operation, and Z amounts beyond 63', () => {
    const batchedFirst = (kind: string): boolean =>
      vectors.some((v) => (v.opLengths?.length ?? 0) > 1 && v.kaitai!.contents[0]!.operation__alpha__contents_tag === kind);
    expect(batchedFirst('reveal')).toBe(true);
    expect(batchedFirst('smart_rollup_originate')).toBe(true);
    const file = JSON.stringify(vectors);
    expect(file).toContain('"proof_tag":"true"');
    expect(file).toContain('"whitelist_tag":"true"');
    expect(file).toContain('"amount":"-64"');
    expect(file).toContain('"amount":"1180591620717411303424"');
  });
});
