#!/usr/bin/env node
// POST /keys throughput and p50/p99 latency through `signatory serve` -> `kms-local` (no added KMS
// latency), for a tz3 attestation stream (watermarked, file store, levels rising per worker on its own
// chain) and a tz3 generic stream, against a floor measured in the same run: the same number of KMS
// Sign calls (blake2b digest, DIGEST mode) made directly with the AWS SDK at the same concurrency.
// The three streams run interleaved in rounds; it also prints the CPU each process spent per request
// (from /proc), which tells where the time of a 2-core machine goes.
// Goal: signatory adds <= 2 ms at p99 and keeps >= 70% of the floor's throughput.
// Needs a build: npx turbo run build --filter=@signatory-ts/signatory... --filter=@signatory-ts/kms-local
// Usage: node bench/sign.js [requests=2000] [concurrency=8]
'use strict';
const { CREDS, KMS_LOCAL, SIGNATORY, TRANSACTION, attestation, freePort, start } = require('./processes');
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const http = require('node:http');
const { KMSClient, CreateKeyCommand, GetPublicKeyCommand, SignCommand } = require('@aws-sdk/client-kms');
const { blake2b256, publicKeyFromSpki, pkhOf, fromHex } = require('../packages/core/dist');

const N = Number(process.argv[2] ?? 2000);
const C = Number(process.argv[3] ?? 8);
const ROUND = 250; // requests per stream per round
const LOG = process.env.SIGNATORY_LOG ?? 'warn';

const agent = new http.Agent({ keepAlive: true, maxSockets: C });
function post(port, pkh, hex) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(hex);
    const req = http.request({ host: '127.0.0.1', port, path: `/keys/${pkh}`, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU seconds (user + system) a process has used so far; Linux /proc, else NaN. */
function cpuSeconds(pid) {
  try {
    const f = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** One stream's running totals: latencies, seconds spent, CPU seconds per process. */
function stream(name, task) {
  return { name, task, lat: [], secs: 0, cpu: new Map() };
}

/** Runs `n` calls of `s.task(worker, i)` with `c` workers, adding latencies, time and CPU to `s`. */
async function runChunk(s, n, c, procs) {
  const cpu0 = procs.map(([, pid]) => cpuSeconds(pid));
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: c }, async (_, w) => {
      for (let i = next++; i < n; i = next++) {
        const t = process.hrtime.bigint();
        await s.task(w, i);
        s.lat.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  s.secs += Number(process.hrtime.bigint() - t0) / 1e9;
  procs.forEach(([name, pid], i) => s.cpu.set(name, (s.cpu.get(name) ?? 0) + cpuSeconds(pid) - cpu0[i]));
}

/** Throughput, p50, p99 and CPU ms per request of a stream. */
function summary(s) {
  const lat = [...s.lat].sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  const cpu = [...s.cpu].map(([name, secs]) => `${name} ${((1000 * secs) / lat.length).toFixed(2)}`).join(', ');
  return { rps: lat.length / s.secs, p50: q(0.5), p99: q(0.99), cpu };
}

const fmt = (r) => `${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sign-'));
  const children = [];
  try {
    const kms = await start([KMS_LOCAL, '--dir', join(dir, 'kms'), '--port', '0'], 'stdout', /listening on (http:\/\/\S+)/);
    children.push(kms.child);
    const url = kms.m[1];
    const client = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: CREDS, maxAttempts: 1 });
    const key = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    const keyId = key.KeyMetadata.KeyId;
    const pub = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const pkh = pkhOf(publicKeyFromSpki(new Uint8Array(pub.PublicKey)));
    const port = await freePort();
    const utility = await freePort();
    writeFileSync(
      join(dir, 'signatory.yaml'),
      `base_dir: ${dir}\nserver:\n  address: 127.0.0.1:${port}\n  utility_address: 127.0.0.1:${utility}\nvaults:\n  kms:\n    driver: awskms\n    config:\n      endpoint: ${url}\n      region: us-east-1\n      access_key_id: ${CREDS.accessKeyId}\n      secret_access_key: ${CREDS.secretAccessKey}\ntezos:\n  ${pkh}:\n    allow: {attestation: , generic: [transaction]}\n`,
    );
    const sig = spawn(process.execPath, [...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : []), SIGNATORY, 'serve', '-c', join(dir, 'signatory.yaml'), '--log', LOG], { stdio: ['ignore', 'ignore', 'ignore'] });
    children.push(sig);
    for (let ready = false; !ready; ) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await fetch(`http://127.0.0.1:${utility}/healthz`).then((r) => r.ok, () => false);
    }

    const digest = blake2b256(fromHex(TRANSACTION));
    const floorCall = () => client.send(new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
    const levels = new Array(C).fill(0);

    const procs = [['bench client', process.pid], ['signatory', sig.pid], ['kms-local', kms.child.pid]];
    const streams = [
      stream('floor', () => floorCall()),
      stream('generic', () => post(port, pkh, TRANSACTION)),
      stream('attestation', (w) => post(port, pkh, attestation(0x1000 + w, ++levels[w]))),
    ];
    // warm up every path (connections, JIT), then interleave the three streams in rounds so that a
    // change in the machine's load during the run weighs on all three alike
    for (const s of streams) await runChunk(stream(s.name, s.task), 200, C, procs);
    for (let done = 0; done < N; done += ROUND) {
      for (const s of streams) await runChunk(s, Math.min(ROUND, N - done), C, procs);
    }
    const [floor, generic, att] = streams.map(summary);

    console.log(`sign bench: ${N} requests per stream in rounds of ${ROUND}, concurrency ${C}, tz3 (P-256) key, kms-local without added latency, file watermark store, --log ${LOG}`);
    console.log(`floor       (SDK -> kms-local Sign)               ${fmt(floor)}`);
    console.log(`generic     (POST /keys -> signatory -> KMS) ${fmt(generic)}`);
    console.log(`attestation (POST /keys -> signatory -> KMS) ${fmt(att)}`);
    console.log(`CPU ms per request  floor: ${floor.cpu}\n                    generic: ${generic.cpu}\n                    attestation: ${att.cpu}`);
    for (const [name, r] of [['generic', generic], ['attestation', att]]) {
      console.log(
        `${name.padEnd(11)} throughput ${((100 * r.rps) / floor.rps).toFixed(0)}% of floor (goal >= 70%), p99 added ${(r.p99 - floor.p99).toFixed(2)} ms (goal <= 2 ms), p50 added ${(r.p50 - floor.p50).toFixed(2)} ms`,
      );
    }
    client.destroy();
  } finally {
    agent.destroy();
    for (const c of children.reverse()) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
