/**
 * Hand-checked vectors (vectors/consensus.json, built by scripts/gen-consensus-vectors.js from the
 * sources it names): every expected field, the watermark fast path agreeing with the full decode,
 * and the refusals with their DecodeError reason.
 */
import {
  b58Encode,
  type B58,
  blake2b256,
  DecodeError,
  fromHex,
  parseSignRequest,
  readWatermarkFields,
  chainIdToB58,
  type SignerKeyType,
} from '@signatory-ts/core';
import file from './vectors/consensus.json';

interface Vector {
  name: string;
  source: string;
  hex: string;
  expected?: Record<string, unknown>;
  error?: string;
  keyType?: SignerKeyType;
  requestHash?: string;
}
const vectors = (file as { vectors: Vector[] }).vectors;
const good = vectors.filter((v) => v.expected !== undefined);
const refused = vectors.filter((v) => v.error !== undefined);

describe('consensus, block and reference vectors', () => {
  it.each(good.map((v) => [v.name, v] as const))('%s decodes to every expected field', (_n, v) => {
    const req = parseSignRequest(fromHex(v.hex), v.keyType);
    // the JSON form: B58 values (chain id, hashes) as their base58 text
    expect(JSON.parse(JSON.stringify(req))).toMatchObject(v.expected!);
  });

  it.each(good.filter((v) => [0x11, 0x12, 0x13].includes(parseInt(v.hex.slice(0, 2), 16))).map((v) => [v.name, v] as const))(
    '%s: the fixed-offset fast path reads the same kind, chain, level and round',
    (_n, v) => {
      const bytes = fromHex(v.hex);
      const full = parseSignRequest(bytes, v.keyType) as unknown as { kind: string; chainId: B58; level: number; round: number };
      const fast = readWatermarkFields(bytes, v.keyType)!;
      expect(fast).toEqual({ kind: full.kind, magic: bytes[0], chainId: expect.any(Number), level: full.level, round: full.round });
      expect(chainIdToB58(fast.chainId)).toBe(String(full.chainId));
    },
  );

  it.each(refused.map((v) => [v.name, v] as const))('%s is refused', (_n, v) => {
    const bytes = fromHex(v.hex);
    let err: unknown;
    try {
      parseSignRequest(bytes, v.keyType);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toBe(v.error);
    expect((err as DecodeError).code).toBe('bad_request');
    // the fast path refuses the same consensus requests for the same reason
    if ([0x11, 0x12, 0x13].includes(bytes[0]!)) {
      expect(() => readWatermarkFields(bytes, v.keyType)).toThrow(expect.objectContaining({ reason: v.error }));
    }
  });

  it('rebuilds C2 and C3 byte for byte: their request hashes match the ones Signatory stores', () => {
    const withHash = vectors.filter((v) => v.requestHash);
    expect(withHash.length).toBe(2);
    for (const v of withHash) expect(b58Encode('vh', blake2b256(fromHex(v.hex)))).toBe(v.requestHash);
  });

  it('reads the block round from the fitness, not payload_round', () => {
    const v = good.find((x) => x.name.includes('reproposal'))!;
    const fast = readWatermarkFields(fromHex(v.hex))!;
    expect(fast.round).toBe(2);
    expect(parseSignRequest(fromHex(v.hex))).toMatchObject({ round: 2, payloadRound: 1 });
  });

  it('returns undefined from the fast path for generic and pack requests', () => {
    for (const v of good.filter((x) => x.hex.startsWith('03') || x.hex.startsWith('05'))) {
      expect(readWatermarkFields(fromHex(v.hex))).toBeUndefined();
    }
  });
});
