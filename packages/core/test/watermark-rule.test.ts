import { b58Decode, b58Encode } from '../src/base58';
import { fromHex } from '../src/bytes';
import { blake2b256 } from '../src/hash';
import { compareWatermark, slotKey, watermarkKind, watermarkSlot, type Mark, type WatermarkVerdict } from '../src/watermark-rule';

const d = (n: number) => new Uint8Array(32).fill(n);
const m = (level: number, round: number, digest?: Uint8Array, signature?: string): Mark => ({ level, round, digest, signature });

describe('compareWatermark', () => {
  const cases: [string, Mark | undefined, Mark, WatermarkVerdict][] = [
    ['first request for a slot advances', undefined, m(5, 0, d(1)), 'advance'],
    ['higher level advances even with a lower round', m(5, 9, d(1), 's'), m(6, 0, d(2)), 'advance'],
    ['same level, higher round advances', m(5, 1, d(1), 's'), m(5, 2, d(2)), 'advance'],
    ['same level, higher round advances with the same digest', m(5, 1, d(1), 's'), m(5, 2, d(1)), 'advance'],
    ['identical bytes at the stored level and round replay', m(5, 1, d(1), 's'), m(5, 1, d(1)), 'replay'],
    ['different bytes at the stored level and round are rejected', m(5, 1, d(1), 's'), m(5, 1, d(2)), 'reject'],
    ['lower round at the same level is rejected', m(5, 2, d(1), 's'), m(5, 1, d(2)), 'reject'],
    ['lower level is rejected even with a higher round', m(5, 0, d(1), 's'), m(4, 9, d(2)), 'reject'],
    ['identical digest at a lower level is rejected', m(5, 0, d(1), 's'), m(4, 0, d(1)), 'reject'],
    ['identical bytes are rejected when no signature was kept (a Go Signatory mark)', m(5, 1, d(1)), m(5, 1, d(1)), 'reject'],
    ['a stored mark with hash null never replays', m(5, 1, undefined, 's'), m(5, 1, d(1)), 'reject'],
    ['a stored mark with an empty signature (imported) never replays', m(5, 1, d(1), ''), m(5, 1, d(1)), 'reject'],
    ['a stored mark with hash null still lets a higher round through', m(5, 1, undefined), m(5, 2, d(1)), 'advance'],
    ['level 0 round 0 advances over nothing', undefined, m(0, 0, d(0)), 'advance'],
  ];
  it.each(cases)('%s', (_name, stored, next, want) => {
    expect(compareWatermark(stored, next)).toBe(want);
  });

  // Go Signatory's integration scenarios (watermark_test.go), as digests: the rule, not the codec.
  const vh = (s: string) => b58Decode(s, ['vh']).payload;
  const A1 = vh('vh2THNfr1pU3TjJyJkw7BKq19suqMX1W9PXRVAgpueELhGTAuhSx');
  const A2 = vh('vh2ywY7jYH9vyATb8HJ1JGjPwyawULZ9q8PXXritQ2Bjseb15wcr');
  const B1 = vh('vh2LsbNPiuNja766Mzq1DXd7kMAhF358snWJHhK9XPG6F5dSmXPn');
  it.each<[string, Mark | undefined, Mark, WatermarkVerdict]>([
    ['A1 first', undefined, m(2, 0, A1), 'advance'],
    ['A2 after A1 (same level and round, other block)', m(2, 0, A1, 'sigA1'), m(2, 0, A2), 'reject'],
    ['A1 again after A1', m(2, 0, A1, 'sigA1'), m(2, 0, A1), 'replay'],
    ['B1 (7,2) over stored (6,0)', m(6, 0, d(9), 'x'), m(7, 2, B1), 'advance'],
    ['B1 (7,2) over stored (6,3)', m(6, 3, d(9), 'x'), m(7, 2, B1), 'advance'],
    ['B1 (7,2) under stored (8,1)', m(8, 1, d(9), 'x'), m(7, 2, B1), 'reject'],
    ['B1 (7,2) under stored (7,3)', m(7, 3, d(9), 'x'), m(7, 2, B1), 'reject'],
  ])('scenario %s', (_name, stored, next, want) => {
    expect(compareWatermark(stored, next)).toBe(want);
  });

  it('the digest is blake2b-256 of the whole request, magic byte included (C2 preattestation)', () => {
    const c2 = fromHex(
      '12b3d79f993222f293d2f293230ec36b0bef1caead619f1a7206ff54a0c198f07ae25bb151140014000000220000000458335430566f4b95401c110f33e74d3a324f83ad6003ed9d5e93ce617fa11e44',
    );
    expect(b58Encode('vh', blake2b256(c2))).toBe('vh1mTiEJuJiyimZf5sctgbnHBTLFthMVRNbiViYpLDMGK79TzUwB');
  });
});

describe('watermark slots', () => {
  it.each([
    ['block', 'block'],
    ['preattestation', 'preattestation'],
    ['attestation', 'attestation'],
    ['attestation_with_dal', 'attestation'],
  ] as const)('%s is watermarked in the %s slot', (kind, slot) => {
    expect(watermarkKind(kind)).toBe(slot);
  });

  it('attestation and attestation_with_dal for one key and chain land in the same slot', () => {
    const a = watermarkSlot('NetXo5iVw1vBoxM', 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf', 'attestation');
    const b = watermarkSlot('NetXo5iVw1vBoxM', 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf', 'attestation_with_dal');
    expect(slotKey(a)).toBe(slotKey(b));
    expect(slotKey(a)).toBe('NetXo5iVw1vBoxM/tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf/attestation');
  });

  it('block and preattestation slots differ from the attestation slot', () => {
    const keys = (['block', 'preattestation', 'attestation'] as const).map((k) => slotKey(watermarkSlot('NetX', 'tz1', k)));
    expect(new Set(keys).size).toBe(3);
  });
});
