#!/usr/bin/env node
// Attestation latency under a flood of generic requests, through `signatory serve` -> `kms-local` with
// 15 ms added to every KMS call. A baker's tz1 key sends attestations one after the other (levels
// rising) and their p50/p99 are measured three ways: alone; while 200 connections flood the same
// signer with allowed generic requests (another key, generic lane at its defaults); and the same flood
// with the generic lane opened wide (--generic-concurrency 100000), which is close to having no lane.
// BENCH_LANE=n adds a fourth run with --generic-concurrency n.
// Goal: the flood moves attestation p99 by a small bound (one KMS round trip or so), not by seconds.
// On one small machine kms-local shares the CPU with the flood, so its own latency grows with the
// generic lane's width; a real KMS does not slow down for one client's 16 calls in flight.
// Needs a build: npx turbo run build --filter=@signatory-ts/signatory... --filter=@signatory-ts/kms-local
// Usage: node bench/consensus-lane.js [attestations=300] [flood connections=200]
'use strict';
const { TRANSACTION, attestation, createKeys, postSign: post, startSignatory, withKmsLocal } = require('./processes');
const { join } = require('node:path');
const http = require('node:http');

const N = Number(process.argv[2] ?? 300);
const FLOOD = Number(process.argv[3] ?? 200);
const KMS_LATENCY_MS = 15;

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/** Starts a signer with `extra` flags, runs `N` attestations (with or without a flood) and stops it. */
async function scenario(name, dir, kmsUrl, keys, extra, flood) {
  const signer = await startSignatory({
    config: join(dir, `${name}.yaml`),
    baseDir: join(dir, name),
    kmsUrl,
    rest: `tezos:\n  ${keys.baker}:\n    allow: {attestation: }\n  ${keys.wallet}:\n    allow: {generic: [transaction]}\n`,
    args: extra,
  });
  const { port } = signer;
  const bakerAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const floodAgent = new http.Agent({ keepAlive: true, maxSockets: FLOOD });
  let stop = false;
  const statuses = new Map();
  const t0 = process.hrtime.bigint();
  const flooders = flood
    ? Array.from({ length: FLOOD }, async () => {
        while (!stop) {
          const s = await post(floodAgent, port, keys.wallet, TRANSACTION).catch(() => 'error');
          statuses.set(s, (statuses.get(s) ?? 0) + 1);
        }
      })
    : [];
  if (flood) await new Promise((r) => setTimeout(r, 1000)); // let the flood fill the queues
  const lat = [];
  for (let level = 1; level <= N; level++) {
    const t = process.hrtime.bigint();
    const s = await post(bakerAgent, port, keys.baker, attestation(0x2000, level));
    if (s !== 200) throw new Error(`${name}: attestation at level ${level} answered ${s}`);
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  stop = true;
  await Promise.all(flooders);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  bakerAgent.destroy();
  floodAgent.destroy();
  await signer.stop();
  lat.sort((a, b) => a - b);
  const generic = statuses.get(200) ?? 0;
  const others = [...statuses].filter(([s]) => s !== 200).map(([s, n]) => `${n}x ${s}`);
  return { name, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat[lat.length - 1], genericPerSec: generic / secs, others };
}

async function main() {
  await withKmsLocal('lane', ['--latency-ms', String(KMS_LATENCY_MS)], async ({ dir, kms }) => {
    const url = kms.url;
    const [baker, wallet] = await createKeys(url, 2);
    const keys = { baker, wallet };
    const results = [
      await scenario('alone', dir, url, keys, [], false),
      await scenario('flood', dir, url, keys, [], true),
      await scenario('flood-no-lane', dir, url, keys, ['--generic-concurrency', '100000'], true),
      ...(process.env.BENCH_LANE
        ? [await scenario(`flood-lane-${process.env.BENCH_LANE}`, dir, url, keys, ['--generic-concurrency', process.env.BENCH_LANE], true)]
        : []),
    ];
    console.log(
      `consensus lane bench: ${N} attestations one at a time (tz1 key), kms-local +${KMS_LATENCY_MS} ms per call, flood = ${FLOOD} connections of generic requests on another key`,
    );
    for (const r of results) {
      const flood =
        r.name === 'alone'
          ? ''
          : `   generic ${r.genericPerSec.toFixed(0)}/s signed${r.others.length ? ` (also ${r.others.join(', ')})` : ''}`;
      console.log(
        `${r.name.padEnd(14)} attestation p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   max ${r.max.toFixed(1).padStart(7)} ms${flood}`,
      );
    }
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
