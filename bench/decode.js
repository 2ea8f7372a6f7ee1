#!/usr/bin/env node
/**
 * Decoder throughput: ours (packages/core/dist) vs @taquito/local-forging parse on the same bytes,
 * measured in the same run. Mixed set: consensus (0x12/0x13), 1-op, 3-op and 100-op generic batches.
 * Also: the fixed-offset watermark path (readWatermarkFields) on consensus requests.
 *
 * "warm" = the base58 cache holds the keys and branches (a signer sees the same ones again and
 * again); "cold" = the cache is emptied before every request (worst case).
 * Build first: npx turbo run build --filter=@signatory-ts/core
 * Usage: node bench/decode.js [seconds-per-measure=1]
 */
'use strict';
const path = require('node:path');
const core = require(path.join(__dirname, '..', 'packages', 'core', 'dist'));
const { LocalForger, ProtocolsHash } = require('@taquito/local-forging');

const SECONDS = Number(process.argv[2] ?? 1);
const vectors = require(path.join(__dirname, '..', 'packages', 'core', 'test', 'vectors', 'taquito-operations.json')).vectors;
const consensusVectors = require(path.join(__dirname, '..', 'packages', 'core', 'test', 'vectors', 'consensus.json')).vectors;

// --- the mixed set ---
const generic = vectors.filter((v) => v.hex.startsWith('03'));
const oneOp = generic.filter((v) => v.taquito.contents.length === 1 && v.taquito.contents[0].kind === 'transaction').slice(0, 20);
// 3-op and 100-op batches are assembled from the forged single manager operations (same branch)
const managerBodies = generic
  .filter((v) => v.taquito.contents.length === 1 && v.taquito.contents[0].kind !== 'failing_noop' && !['ballot', 'proposals', 'activate_account', 'seed_nonce_revelation', 'drain_delegate'].includes(v.taquito.contents[0].kind))
  // Taquito reads a BLS proof and a rollup whitelist only at the very end of the input
  .filter((v) => !v.taquito.contents[0].proof && !v.taquito.contents[0].whitelist)
  .map((v) => v.hex.slice(66));
const batch = (n, offset) => '03' + generic[0].hex.slice(2, 66) + Array.from({ length: n }, (_, i) => managerBodies[(offset + i) % managerBodies.length]).join('');
const threeOp = Array.from({ length: 20 }, (_, i) => batch(3, i * 3));
const hundredOp = Array.from({ length: 4 }, (_, i) => batch(100, i * 7));
// Taquito reads only tags 21 and 23 (no preattestation, no BLS mode): compare on those,
// and run the fixed-offset path on every consensus vector
const allConsensus = [
  ...consensusVectors.filter((v) => v.expected && ['12', '13'].includes(v.hex.slice(0, 2))).map((v) => v.hex),
  ...vectors.filter((v) => v.hex.startsWith('13')).map((v) => v.hex),
];
const consensus = allConsensus.filter((h) => ['15', '17'].includes(h.slice(74, 76)));

const forger = new LocalForger(ProtocolsHash.PsUshuai9);
const taquitoBody = (hex) => (hex.startsWith('03') ? hex.slice(2) : hex.slice(10));

function measure(label, fn, inputs) {
  // warm up, then count calls for SECONDS
  for (let i = 0; i < 200; i++) fn(inputs[i % inputs.length]);
  let calls = 0;
  const start = process.hrtime.bigint();
  const stop = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < stop) {
    for (let i = 0; i < 50; i++) fn(inputs[(calls + i) % inputs.length]);
    calls += 50;
    now = process.hrtime.bigint();
  }
  return calls / (Number(now - start) / 1e9);
}

const sets = [
  ['consensus (0x13, tag 21/23)', consensus, 1],
  ['generic, 1 transaction', oneOp.map((v) => v.hex), 1],
  ['generic, 3-op batch', threeOp, 3],
  ['generic, 100-op batch', hundredOp, 100],
];

// sanity: both decoders accept every input and agree on the operation count
for (const [, hexes] of sets) {
  for (const h of hexes) {
    const ours = core.parseSignRequest(core.fromHex(h));
    const theirs = forger.codec.decoder(taquitoBody(h));
    const n = ours.kind === 'generic' ? ours.operations.length : 1;
    if (n !== theirs.contents.length) throw new Error(`disagreement on ${h.slice(0, 40)}…`);
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(11);
console.log(`Decoder throughput, ${SECONDS}s per measure, Node ${process.version}, ${require('node:os').cpus().length} CPUs`);
console.log('set                        | ours warm req/s | ours cold req/s | Taquito req/s | warm/Taquito | cold/Taquito | ours warm ops/s');
for (const [name, hexes, opsPer] of sets) {
  const bytes = hexes.map((h) => core.fromHex(h));
  const bodies = hexes.map(taquitoBody);
  const warm = measure(name, (b) => core.parseSignRequest(b), bytes);
  const cold = measure(name, (b) => {
    core.clearBase58Cache();
    core.parseSignRequest(b);
  }, bytes);
  // Taquito's parse is a Promise around a synchronous decoder; call the decoder directly (fairer to Taquito)
  const taq = measure(name, (h) => forger.codec.decoder(h), bodies);
  console.log(
    `${name.padEnd(26)} | ${fmt(warm)}     | ${fmt(cold)}     | ${fmt(taq)}   | ${(warm / taq).toFixed(1).padStart(8)}x    | ${(cold / taq).toFixed(1).padStart(8)}x    | ${fmt(warm * opsPer)}`,
  );
}
const cbytes = allConsensus.map((h) => core.fromHex(h));
const fast = measure('fast path', (b) => core.readWatermarkFields(b), cbytes);
console.log(`consensus fixed-offset path (readWatermarkFields, ${allConsensus.length} requests incl. 0x12 and BLS mode): ${fmt(fast).trim()} requests/s (goal >= 500,000)`);
