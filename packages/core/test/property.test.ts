/**
 * Property test: 100,000+ random and mutated requests per run (truncated, bit-flipped, extended,
 * huge lengths, random tags, random bytes behind every magic byte). Each either decodes,
 * consuming every byte, or throws a DecodeError; the fast path always agrees. The seed is fixed,
 * so `npm test` gives the same answer every run; scripts/fuzz.js runs longer, with a random seed
 * (`node scripts/fuzz.js <iterations> <seed>` replays a failure it prints).
 */
import * as core from '@signatory-ts/core';
import taquito from './vectors/taquito-operations.json';
import consensus from './vectors/consensus.json';

interface Mutator {
  prng(seed: number): () => number;
  mutate(rand: () => number, seed: Uint8Array): Uint8Array;
  check(c: typeof core, bytes: Uint8Array): { problem?: string; outcome?: string };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prng, mutate, check } = require('../scripts/mutate.js') as Mutator;

// small and medium requests keep 100k iterations within a few seconds; fuzz.js uses all of them
const seeds = [...(taquito as { vectors: { hex: string }[] }).vectors, ...(consensus as { vectors: { hex: string }[] }).vectors]
  .map((v) => core.fromHex(v.hex))
  .filter((b) => b.length <= 300);

describe('decoding arbitrary bytes', () => {
  // jest raises the stack depth captured per Error to 100 frames, which makes the ~100k thrown
  // DecodeErrors here ten times slower than in production; use Node's default while this runs
  const savedLimit = Error.stackTraceLimit;
  beforeAll(() => (Error.stackTraceLimit = 10));
  afterAll(() => (Error.stackTraceLimit = savedLimit));

  it('has a varied seed corpus', () => {
    expect(seeds.length).toBeGreaterThan(200);
    expect(new Set(seeds.map((b) => b[0])).size).toBeGreaterThanOrEqual(5);
  });

  it('decodes exactly or throws DecodeError, for 100,000 mutated inputs', () => {
    const seed = 0x5eed_2026;
    const rand = prng(seed);
    const ITERATIONS = 100_000;
    let decoded = 0;
    const reasons = new Set<string>();
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutate(rand, seeds[Math.floor(rand() * seeds.length)]!);
      const { problem, outcome } = check(core, input);
      if (problem !== undefined) throw new Error(`seed ${seed}, iteration ${i}: ${problem}\ninput: ${core.toHex(input)}`);
      if (outcome === 'decoded') decoded++;
      else reasons.add(outcome!);
    }
    // the mutations reach both outcomes and many distinct refusals
    expect(decoded).toBeGreaterThan(ITERATIONS / 20);
    expect(reasons.size).toBeGreaterThanOrEqual(10);
  });

  it('never throws anything but DecodeError on pure random bytes, and never hangs', () => {
    const rand = prng(42);
    const problems: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const input = Uint8Array.from({ length: Math.floor(rand() * 120) }, () => Math.floor(rand() * 256));
      const { problem } = check(core, input);
      if (problem !== undefined) problems.push(`${problem}: ${core.toHex(input)}`);
    }
    expect(problems).toEqual([]);
  });
});
