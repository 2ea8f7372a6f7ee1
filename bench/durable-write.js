#!/usr/bin/env node
/**
 * What one durable commit of a ~1 KiB record costs on a disk, by the way it is made durable:
 *   a. replace: the file store's commit today (replaceDurably: temporary file, write, fsync, rename,
 *      directory fsync);
 *   b. overwrite in place: a file written full and fsynced once at the start, each commit a pwrite at
 *      offset 0 and fdatasync (no size or metadata change: what a fixed-slot or preallocated-log
 *      format would pay);
 *   c. append: an O_APPEND write and fdatasync on a growing file (a plain append-only log: the size
 *      changes, and a new block now and then);
 *   d. append into preallocated space: a pwrite at a moving offset inside a file written full of zeros
 *      and fsynced once at the start, then fdatasync (wrapping to offset 0 at the end).
 * Each at concurrency 1 (one chain) and 8 (eight writers, each on its own file, one commit after the
 * other). Rounds are interleaved (every variant and concurrency measured once per round, the order
 * rotated each round) so every variant sees the same background; p50/p99 are per commit over all
 * rounds, commits/s over the time measured; "vs replace" compares with (a) at the same concurrency in
 * this run (p50 as a share of its p50, commits/s as a multiple of its commits/s).
 * Only the write is measured (no lock, no read): run it where base_dir's disk is.
 * Build first: npx turbo run build --filter=@signatory-ts/watermark
 * Usage: node bench/durable-write.js [--dir DIR (default: os.tmpdir())] [--rounds 5] [--seconds 1 (per measure)]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs, promisify } = require('node:util');
const { replaceDurably } = require(path.join(__dirname, '..', 'packages', 'watermark', 'dist'));

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: os.tmpdir() },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '1' },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const RECORD = 1024;
const PREALLOCATED = 16 * 1024 * 1024; // per file of (d): 16 384 records before it wraps
const WRITERS = 8;

const write = promisify(fs.write);
const fdatasync = promisify(fs.fdatasync);

/** A record of RECORD bytes (JSON text padded with spaces) that differs at every commit. */
const record = (writer, n) => Buffer.from(JSON.stringify({ writer, n, at: Date.now() }).padEnd(RECORD - 1) + '\n');

/** A file of `size` zero bytes, written and fsynced (its blocks allocated and initialized on disk). */
function preallocate(file, size) {
  const fd = fs.openSync(file, 'w', 0o640);
  const zeros = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < size; at += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
  fs.fsyncSync(fd);
  return fd;
}

/** Each variant: setup(dir, writer) returns the writer's commit(n) and close(). */
const VARIANTS = [
  {
    name: 'a. replace',
    setup: (dir, w) => {
      const file = path.join(dir, `replace-${w}.json`);
      return { commit: (n) => replaceDurably(dir, file, record(w, n).toString(), () => undefined), close: () => undefined };
    },
  },
  {
    name: 'b. overwrite in place',
    setup: (dir, w) => {
      const fd = preallocate(path.join(dir, `overwrite-${w}`), 4096);
      return {
        commit: async (n) => {
          await write(fd, record(w, n), 0, RECORD, 0);
          await fdatasync(fd);
        },
        close: () => fs.closeSync(fd),
      };
    },
  },
  {
    name: 'c. append',
    setup: (dir, w) => {
      const fd = fs.openSync(path.join(dir, `append-${w}`), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o640);
      return {
        commit: async (n) => {
          await write(fd, record(w, n), 0, RECORD, null);
          await fdatasync(fd);
        },
        close: () => fs.closeSync(fd),
      };
    },
  },
  {
    name: 'd. append, preallocated',
    setup: (dir, w) => {
      const fd = preallocate(path.join(dir, `prealloc-${w}`), PREALLOCATED);
      let at = 0;
      return {
        commit: async (n) => {
          await write(fd, record(w, n), 0, RECORD, at);
          at = (at + RECORD) % PREALLOCATED;
          await fdatasync(fd);
        },
        close: () => fs.closeSync(fd),
      };
    },
  },
];
const CONCURRENCIES = [1, WRITERS];

/** `writers` chains committing one after the other for SECONDS; adds latencies and counts to `acc`. */
async function measure(writers, acc) {
  const start = process.hrtime.bigint();
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    writers.map(async (w) => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        await w.commit(acc.commits);
        acc.lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        acc.commits++;
      }
    }),
  );
  acc.seconds += Number(process.hrtime.bigint() - start) / 1e9;
}

(async () => {
  const dir = fs.mkdtempSync(path.join(args.dir, 'bench-durable-write-'));
  const writers = [];
  const acc = new Map();
  for (const v of VARIANTS) for (const c of CONCURRENCIES) acc.set(`${v.name}/${c}`, { lat: [], commits: 0, seconds: 0 });
  const runs = VARIANTS.flatMap((v, i) => CONCURRENCIES.map((c) => ({ v, i, c })));
  try {
    // inside the try: a set-up that fails (ENOSPC, say) still closes what it opened and removes the directory
    for (const v of VARIANTS) {
      const ws = [];
      writers.push(ws);
      for (let w = 0; w < WRITERS; w++) ws.push(v.setup(dir, w));
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < runs.length; k++) {
        const { v, i, c } = runs[(k + round) % runs.length];
        await measure(writers[i].slice(0, c), acc.get(`${v.name}/${c}`));
      }
    }
  } finally {
    for (const ws of writers) for (const w of ws) w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const stats = (a) => {
    a.lat.sort((x, y) => x - y);
    const p = (q) => a.lat[Math.min(a.lat.length - 1, Math.floor(q * a.lat.length))];
    return { p50: p(0.5), p99: p(0.99), perSecond: a.commits / a.seconds };
  };
  let fsType = '?';
  try {
    fsType = `0x${fs.statfsSync(args.dir).type.toString(16)}`;
  } catch {
    // statfs is informative only
  }
  console.log(
    `${ROUNDS} rounds x ${SECONDS}s per measure, ${RECORD}-byte records, node ${process.version}, ${os.cpus().length} CPUs, ` +
      `dir ${args.dir} (file system type ${fsType}), load average ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log(
    'variant'.padEnd(26),
    'c'.padStart(2),
    'p50 ms'.padStart(8),
    'p99 ms'.padStart(8),
    'commits/s'.padStart(10),
    'p50 vs a'.padStart(9),
    'commits/s vs a'.padStart(15),
  );
  for (const c of CONCURRENCIES) {
    const base = stats(acc.get(`${VARIANTS[0].name}/${c}`));
    for (const v of VARIANTS) {
      const s = stats(acc.get(`${v.name}/${c}`));
      console.log(
        v.name.padEnd(26),
        String(c).padStart(2),
        s.p50.toFixed(3).padStart(8),
        s.p99.toFixed(3).padStart(8),
        s.perSecond.toFixed(0).padStart(10),
        `${((100 * s.p50) / base.p50).toFixed(0)}%`.padStart(9),
        `${(s.perSecond / base.perSecond).toFixed(2)}x`.padStart(15),
      );
    }
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
