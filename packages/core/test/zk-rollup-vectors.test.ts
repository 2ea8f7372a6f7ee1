/**
 * Differential test against an independent oracle for ZK rollup operations (tags 250-252), which
 * Taquito cannot forge: vectors/zk-rollup.json holds operations as Octez's own Kaitai Struct
 * description of the U025 operation encoding read them, and bytes it refuses (see
 * scripts/gen-zk-vectors.js for the source and how to regenerate; kaitai-oracle.ts for the checks).
 */
import { decode, describeOracleVectors, json, type Vector } from './kaitai-oracle';
import vectorFile from './vectors/zk-rollup.json';

const vectors = (vectorFile as unknown as { vectors: Vector[] }).vectors;

describeOracleVectors('ZK rollup operations (tags 250-252)', vectors);

describe('ZK rollup oracle vectors', () => {
  it('cover every ZK rollup kind and every branch of their encodings', () => {
    const kinds = new Set(vectors.flatMap((v) => v.kaitai?.contents.map((c) => c.operation__alpha__contents_tag) ?? []));
    expect([...kinds].sort()).toEqual(['delegation', 'zk_rollup_origination', 'zk_rollup_publish', 'zk_rollup_update']);
    const file = JSON.stringify(vectors);
    for (const branch of [
      '"public"',
      '"private"',
      '"fee"',
      '"some"',
      '"none"',
      '"true"',
      '"false"',
      '"mldsa44"',
      '"implicit"',
      '"originated"',
    ]) {
      expect(file).toContain(branch);
    }
    expect(vectors.some((v) => (v.opLengths?.length ?? 0) > 1)).toBe(true);
    expect(vectors.some((v) => v.kaitaiRefusal !== undefined)).toBe(true);
  });

  it('decode the same under Tallinn, which has no tz5 (ML-DSA-44) key hashes', () => {
    for (const v of vectors.filter((v) => v.kaitai !== undefined)) {
      if (JSON.stringify(v.kaitai).includes('"mldsa44"')) {
        expect(() => decode(v.hex, 'tallinn')).toThrow(expect.objectContaining({ reason: 'unknown_tag' }) as Error);
      } else expect(json(decode(v.hex, 'tallinn'))).toEqual(json(decode(v.hex)));
    }
  });
});
