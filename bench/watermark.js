#!/usr/bin/env node
/**
 * Watermark store cost per signed consensus request, through signWithWatermark (lock, check, sign,
 * commit) with a no-op signer, so only the watermark work is measured. Every store is opened the
 * way the daemon opens it (openWatermarkStore from a `watermark:` config block), from the STORES
 * table below; the file store is the baseline of the same run.
 *
 * For each store:
 *   - concurrency 1: one slot, one commit at a time (each at the next level);
 *   - concurrency 8: eight keys, each committing its own slot, all at once (a signer with many bakers);
 * and, as before, the memory store (the floor), the file store with three slots of one baker in
 * parallel (block, preattestation, attestation: one chain file, as a baker's requests arrive) and
 * the file store's get() alone (the check step).
 * commits/s counts commits; p50/p99 are per commit (per group of three for the "3 slots" row).
 * Figures depend heavily on the disk's fsync latency (file) or the network (shared stores): run it
 * where the store will run.
 * Build first: npx turbo run build --filter=@signatory-ts/watermark... --filter=@signatory-ts/dev-servers
 * Usage: node bench/watermark.js [seconds-per-measure=2] [store names, comma-separated=all]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const root = path.join(__dirname, '..');
const { b58Encode, blake2b256, watermarkSlot } = require(path.join(root, 'packages', 'core', 'dist'));
const { parseConfig } = require(path.join(root, 'packages', 'config', 'dist'));
const { MemoryWatermarkStore, openWatermarkStore, signWithWatermark } = require(path.join(root, 'packages', 'watermark', 'dist'));

const SECONDS = Number(process.argv[2] ?? 2);
const ONLY = process.argv[3]?.split(',');

const { STORES } = require('./stores');

const CHAIN = 'NetXdQprcVkpaWU';
const PKHS = Array.from({ length: 8 }, (_, i) => b58Encode('tz1', new Uint8Array(20).fill(i + 1)));
const sign = async () => 'edsig-not-real';
const VAULT = 'vaults:\n  bench:\n    driver: awskms\n    config:\n      region: us-east-1\n';

/** The store a `watermark:` block names, with base_dir `base`, opened as the daemon opens it. */
async function open(yaml, base) {
  return openWatermarkStore(parseConfig(`base_dir: ${base}\n${VAULT}${yaml}`, { env: {} }));
}

/**
 * `workers` loops, each signing its slots (one or several, in parallel) at increasing levels until
 * the time is up. Returns commits/s and per-iteration latency percentiles.
 */
async function measure(name, store, workers) {
  const lat = [];
  let n = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    workers.map(async (slots) => {
      // above every slot's mark: an earlier measure may have advanced some of them
      let level = Math.max(0, ...(await Promise.all(slots.map(async (s) => (await store.get(s))?.level ?? 0)))) + 1;
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        const rs = await Promise.all(
          slots.map((s) =>
            signWithWatermark(store, s, { level, round: 0, digest: blake2b256(Buffer.from(`${s.pkh}/${s.kind}/${level}`)) }, sign),
          ),
        );
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (rs.some((r) => r.status !== 'signed')) throw new Error(`${name}: unexpected ${JSON.stringify(rs)}`);
        n += slots.length;
        level++;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const p = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(2);
  return { name, perSecond: n / SECONDS, p50: p(0.5), p99: p(0.99) };
}

async function measureGet(name, store) {
  const slot = watermarkSlot(CHAIN, PKHS[0], 'block');
  let n = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    await store.get(slot);
    n++;
  }
  return { name, perSecond: n / SECONDS, p50: '-', p99: '-' };
}

const one = [[watermarkSlot(CHAIN, PKHS[0], 'block')]];
const eight = PKHS.map((pkh) => [watermarkSlot(CHAIN, pkh, 'attestation')]);
const threeOfOneBaker = [['block', 'preattestation', 'attestation'].map((k) => watermarkSlot(CHAIN, PKHS[0], k))];

(async () => {
  const rows = [];
  rows.push({ ...(await measure('memory, concurrency 1 (floor)', new MemoryWatermarkStore(), one)), baseline: 'file, concurrency 1' });
  for (const setup of STORES.filter((s) => ONLY === undefined || ONLY.includes(s.name) || s.name === 'file')) {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), `bench-wm-${setup.name}-`));
    const running = await setup.start();
    try {
      const store = await open(running.yaml, base);
      try {
        rows.push({ ...(await measure(`${setup.name}, concurrency 1`, store, one)), baseline: 'file, concurrency 1' });
        rows.push({ ...(await measure(`${setup.name}, concurrency 8`, store, eight)), baseline: 'file, concurrency 8' });
        if (setup.name === 'file') {
          rows.push({ ...(await measure('file, 3 slots, one chain file', store, threeOfOneBaker)), baseline: 'file, concurrency 1' });
          rows.push({ ...(await measureGet('file get() only', store)), baseline: 'file, concurrency 1' });
        }
      } finally {
        await store.close?.();
      }
    } finally {
      await running.stop();
      fs.rmSync(base, { recursive: true, force: true });
    }
  }
  const byName = new Map(rows.map((r) => [r.name, r.perSecond]));
  console.log(`${SECONDS}s per measure, node ${process.version}, ${os.cpus().length} CPUs, temp dir ${os.tmpdir()}`);
  console.log('store'.padEnd(34), 'commits/s'.padStart(10), 'vs file'.padStart(10), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8));
  for (const r of rows) {
    console.log(
      r.name.padEnd(34),
      r.perSecond.toFixed(0).padStart(10),
      `${(r.perSecond / byName.get(r.baseline)).toFixed(2)}x`.padStart(10),
      String(r.p50).padStart(8),
      String(r.p99).padStart(8),
    );
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
