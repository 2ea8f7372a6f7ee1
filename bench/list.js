#!/usr/bin/env node
// `signatory-cli list` over 200 KMS keys with 20 ms added to every KMS call (kms-local setLatency), against a
// serial baseline measured in the same run: ListKeys, then GetPublicKey one key at a time, with the SDK directly
// (what Go Signatory's AWS vault does). The CLI time is wall-clock for the whole child process (node start-up,
// config, SDK load included). Goal: under 1 s and at least 5x faster than serial.
// Needs a build: npx turbo run build --filter=@signatory-ts/signatory-cli... --filter=@signatory-ts/kms-local
// Usage: node bench/list.js [keys=200] [latencyMs=20]
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { KMSClient, ListKeysCommand, GetPublicKeyCommand } = require('@aws-sdk/client-kms');
const { startKmsLocal } = require('../packages/kms-local/dist');

const KEYS = Number(process.argv[2] ?? 200);
const LATENCY = Number(process.argv[3] ?? 20);
const CLI = join(__dirname, '..', 'apps', 'signatory-cli', 'dist', 'main.js');
const CREDS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };

function runCli(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`signatory-cli exited ${code}: ${err}`));
      else resolve({ ms, out });
    });
  });
}

async function serialList(kms) {
  const t0 = process.hrtime.bigint();
  const ids = [];
  let Marker;
  do {
    const page = await kms.send(new ListKeysCommand({ Marker }));
    ids.push(...page.Keys.map((k) => k.KeyId));
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker);
  for (const id of ids) await kms.send(new GetPublicKeyCommand({ KeyId: id }));
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, count: ids.length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-list-'));
  const server = await startKmsLocal({ dir, awsManagedAliases: false });
  const kms = new KMSClient({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials: CREDS });
  try {
    const specs = ['ECC_NIST_P256', 'ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519'];
    for (let i = 0; i < KEYS; i++) await server.createKey({ keySpec: specs[i % specs.length] });
    const config = join(dir, 'signatory.yaml');
    writeFileSync(
      config,
      `base_dir: ${join(dir, 'base')}\nvaults:\n  kms:\n    driver: awskms\n    config:\n      region: us-east-1\n` +
        `      endpoint: ${server.url}\n      access_key_id: ${CREDS.accessKeyId}\n      secret_access_key: ${CREDS.secretAccessKey}\n`,
    );
    server.faults.setLatency(LATENCY);

    const cli = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 3; i++) {
      const r = await runCli(['list', '-c', config]);
      const listed = (r.out.match(/^Public Key Hash:/gm) ?? []).length;
      if (listed !== KEYS) throw new Error(`signatory-cli listed ${listed} keys, expected ${KEYS}`);
      cli.push(r.ms);
    }
    const cpu = process.cpuUsage(cpu0);
    const serverCpuMs = (cpu.user + cpu.system) / 1000 / 3;
    const serial = await serialList(kms);
    if (serial.count !== KEYS) throw new Error(`serial baseline saw ${serial.count} keys`);
    const c = median(cli);
    console.log(`keys: ${KEYS}, added latency per KMS call: ${LATENCY} ms`);
    console.log(`serial baseline (ListKeys + GetPublicKey one at a time, SDK in-process): ${serial.ms.toFixed(0)} ms`);
    console.log(`signatory-cli list (child process, median of 3, runs ${cli.map((x) => x.toFixed(0)).join('/')} ms): ${c.toFixed(0)} ms`);
    console.log(`kms-local (this process) CPU per CLI run: ${serverCpuMs.toFixed(0)} ms`);
    console.log(
      `ratio serial / cli: ${(serial.ms / c).toFixed(1)}x   goal: < 1000 ms and >= 5x -> ${c < 1000 && serial.ms / c >= 5 ? 'met' : 'NOT met'}`,
    );
  } finally {
    kms.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
