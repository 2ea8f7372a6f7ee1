#!/usr/bin/env node
/**
 * Watermark store cost per signed consensus request, through signWithWatermark (lock, check,
 * sign, commit) with a no-op signer, so only the watermark work is measured:
 *   - memory store (baseline, measured in the same run);
 *   - file store, one slot (each commit: kernel lock, read + parse, write temp, fsync, rename, fsync dir);
 *   - file store, three slots of one baker (block, preattestation, attestation) in parallel, sharing
 *     one chain file, as a baker's requests arrive;
 *   - file store get() alone (the check step).
 * Figures depend heavily on the disk's fsync latency; run on the disk that will hold base_dir.
 * Build first: npx turbo run build --filter=@signatory-ts/watermark
 * Usage: node bench/watermark.js [seconds-per-measure=2] [base_dir=a new temp dir]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { blake2b256, watermarkSlot } = require(path.join(__dirname, '..', 'packages', 'core', 'dist'));
const { FileWatermarkStore, MemoryWatermarkStore, signWithWatermark } = require(
  path.join(__dirname, '..', 'packages', 'watermark', 'dist'),
);

const SECONDS = Number(process.argv[2] ?? 2);
const base = process.argv[3] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-wm-'));
const CHAIN = 'NetXdQprcVkpaWU';
const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const sign = async () => 'edsig-not-real';

async function measure(name, store, kinds) {
  const slots = kinds.map((k) => watermarkSlot(CHAIN, PKH, k));
  let level = ((await store.get(slots[0]))?.level ?? 0) + 1;
  let n = 0;
  const lat = [];
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    const t = process.hrtime.bigint();
    const rs = await Promise.all(
      slots.map((s) => signWithWatermark(store, s, { level, round: 0, digest: blake2b256(Buffer.from(`${s.kind}/${level}`)) }, sign)),
    );
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (rs.some((r) => r.status !== 'signed')) throw new Error(`unexpected ${JSON.stringify(rs)}`);
    n += slots.length;
    level++;
  }
  lat.sort((a, b) => a - b);
  const p = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(2);
  return { name, perSecond: n / SECONDS, p50: p(0.5), p99: p(0.99) };
}

async function measureGet(store) {
  const slot = watermarkSlot(CHAIN, PKH, 'block');
  let n = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    await store.get(slot);
    n++;
  }
  return { name: 'file get() only', perSecond: n / SECONDS, p50: '-', p99: '-' };
}

(async () => {
  const rows = [];
  rows.push(await measure('memory, 1 slot (baseline)', new MemoryWatermarkStore(), ['block']));
  const file = new FileWatermarkStore({ baseDir: base });
  rows.push(await measure('file, 1 slot', file, ['block']));
  rows.push(await measure('file, 3 slots, one chain file', file, ['block', 'preattestation', 'attestation']));
  rows.push(await measureGet(file));
  const baseline = rows[0].perSecond;
  console.log(`base_dir ${base}, ${SECONDS}s per measure, node ${process.version}`);
  console.log('store'.padEnd(34), 'signed/s'.padStart(10), 'vs memory'.padStart(10), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8));
  for (const r of rows) {
    console.log(
      r.name.padEnd(34),
      r.perSecond.toFixed(0).padStart(10),
      `${(r.perSecond / baseline).toFixed(4)}x`.padStart(10),
      String(r.p50).padStart(8),
      String(r.p99).padStart(8),
    );
  }
  if (process.argv[3] === undefined) fs.rmSync(base, { recursive: true, force: true });
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
