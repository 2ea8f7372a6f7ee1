#!/usr/bin/env node
/**
 * Long fuzz run over the built decoder (packages/core/dist): mutates every vector in
 * test/vectors/*.json and checks the invariant in mutate.js.
 * Usage: node packages/core/scripts/fuzz.js [iterations=2000000] [seed=random]
 * Build first: npx turbo run build --filter=@signatory-ts/core
 */
'use strict';
const path = require('node:path');
const core = require(path.join(__dirname, '..', 'dist'));
const { prng, mutate, check } = require('./mutate');

const iterations = Number(process.argv[2] ?? 2_000_000);
const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 32));
const vectors = [...require('../test/vectors/taquito-operations.json').vectors, ...require('../test/vectors/consensus.json').vectors].map(
  (v) => core.fromHex(v.hex),
);

const rand = prng(seed);
const started = Date.now();
let decoded = 0;
for (let i = 0; i < iterations; i++) {
  const input = mutate(rand, vectors[Math.floor(rand() * vectors.length)]);
  const { problem, outcome } = check(core, input);
  if (problem) {
    console.error(`FAIL at iteration ${i} (seed ${seed}): ${problem}\ninput: ${core.toHex(input)}`);
    process.exit(1);
  }
  if (outcome === 'decoded') decoded++;
  if (i > 0 && i % 500_000 === 0) console.log(`${i} inputs, ${decoded} decoded, ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
console.log(
  `ok: ${iterations} inputs (seed ${seed}), ${decoded} decoded, the rest refused with DecodeError, ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
