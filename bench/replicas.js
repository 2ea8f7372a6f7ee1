#!/usr/bin/env node
/**
 * Several replicas, one watermark, through HTTP: three `signatory serve` processes on one store and
 * one kms-local, and `keys` bakers (one tz1 key each) sending attestations at rising levels, each
 * request to the next replica (round robin, as a load balancer would), one request in flight per
 * baker. Measures signatures/s and p50/p99 per request for every store of the STORES table, with
 * the file store first (the baseline, in the same run), and one replica on the file store for
 * reference. kms-local adds no latency, so the figures are the signer's and the store's own cost.
 * Needs a build: npx turbo run build --filter=@signatory-ts/signatory... --filter=@signatory-ts/kms-local
 * Usage: node bench/replicas.js [seconds=5] [keys=8] [store names, comma-separated=all]
 */
'use strict';
const { join } = require('node:path');
const http = require('node:http');
const { attestation, createKeys, postSign, startSignatory, withKmsLocal } = require('./processes');

const SECONDS = Number(process.argv[2] ?? 5);
const KEYS = Number(process.argv[3] ?? 8);
const ONLY = process.argv[4]?.split(',');

const { STORES } = require('./stores');

async function scenario(name, dir, kmsUrl, pkhs, storeYaml, replicas, chain) {
  const signers = [];
  try {
    for (let i = 0; i < replicas; i++) {
      signers.push(
        await startSignatory({
          config: join(dir, `${name}-${i}.yaml`),
          baseDir: join(dir, name),
          kmsUrl,
          rest: `tezos:\n${pkhs.map((p) => `  ${p}:\n    allow: {attestation: }\n`).join('')}${storeYaml}`,
        }),
      );
    }
    const ports = signers.map((s) => s.port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: pkhs.length * replicas });
    const lat = [];
    let next = 0;
    const end = Date.now() + SECONDS * 1000;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      pkhs.map(async (pkh) => {
        for (let level = 1; Date.now() < end; level++) {
          const t = process.hrtime.bigint();
          const s = await postSign(agent, ports[next++ % ports.length], pkh, attestation(chain, level));
          if (s !== 200) throw new Error(`${name}: attestation at level ${level} answered ${s}`);
          lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }),
    );
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    agent.destroy();
    lat.sort((a, b) => a - b);
    const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    return { name, perSecond: lat.length / secs, p50: q(0.5), p99: q(0.99) };
  } finally {
    for (const s of signers) await s.stop();
  }
}

async function main() {
  await withKmsLocal('replicas', [], async ({ dir, kms }) => {
    const pkhs = await createKeys(kms.url, KEYS);
    const rows = [];
    let chain = 0x3000;
    rows.push(await scenario('file, 1 replica', dir, kms.url, pkhs, 'watermark:\n  driver: file\n', 1, chain++));
    for (const setup of STORES.filter((s) => ONLY === undefined || ONLY.includes(s.name) || s.name === 'file')) {
      const running = await setup.start();
      try {
        rows.push(await scenario(`${setup.name}, 3 replicas`, dir, kms.url, pkhs, running.yaml, 3, chain++));
      } finally {
        await running.stop();
      }
    }
    const base = rows.find((r) => r.name === 'file, 3 replicas').perSecond;
    console.log(`${SECONDS}s per store, ${KEYS} bakers (tz1) one request in flight each, round robin over the replicas, kms-local`);
    console.log('set-up'.padEnd(24), 'signatures/s'.padStart(13), 'vs file'.padStart(9), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8));
    for (const r of rows) {
      console.log(
        r.name.padEnd(24),
        r.perSecond.toFixed(0).padStart(13),
        `${(r.perSecond / base).toFixed(2)}x`.padStart(9),
        r.p50.toFixed(2).padStart(8),
        r.p99.toFixed(2).padStart(8),
      );
    }
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
