#!/usr/bin/env node
// Sign latency through the real SDK against kms-local (in-process, plain node), per key spec, against a
// DescribeKey round trip measured in the same run as the baseline (HTTP + SigV4 + JSON, no crypto).
// Needs a build: npx turbo run build --filter=@signatory-ts/kms-local
// Usage: node bench/kms-local-sign.js [iterations=200]
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createHash } = require('node:crypto');
const { KMSClient, CreateKeyCommand, DescribeKeyCommand, SignCommand } = require('@aws-sdk/client-kms');
const { startKmsLocal } = require('../packages/kms-local/dist');

const N = Number(process.argv[2] ?? 200);

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p95: q(0.95) };
}

async function time(fn) {
  for (let i = 0; i < 20; i++) await fn(i); // warm-up
  const out = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return stats(out);
}

(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kms-local-bench-'));
  const server = await startKmsLocal({ dir });
  const kms = new KMSClient({
    endpoint: server.url,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
  });
  try {
    const key = async (KeySpec) => (await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata.KeyId;
    const p256 = await key('ECC_NIST_P256');
    const k1 = await key('ECC_SECG_P256K1');
    const ed = await key('ECC_NIST_EDWARDS25519');
    const digest = (i) => createHash('sha256').update(String(i)).digest();
    const base = await time(() => kms.send(new DescribeKeyCommand({ KeyId: p256 })));
    const rows = [
      ['DescribeKey (baseline)', base],
      [
        'Sign ECC_NIST_P256',
        await time((i) =>
          kms.send(new SignCommand({ KeyId: p256, Message: digest(i), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })),
        ),
      ],
      [
        'Sign ECC_SECG_P256K1',
        await time((i) =>
          kms.send(new SignCommand({ KeyId: k1, Message: digest(i), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })),
        ),
      ],
      [
        'Sign ECC_NIST_EDWARDS25519',
        await time((i) =>
          kms.send(new SignCommand({ KeyId: ed, Message: digest(i), MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' })),
        ),
      ],
    ];
    console.log(`kms-local, ${N} calls each, node ${process.version}`);
    for (const [name, s] of rows) {
      console.log(
        `${name.padEnd(28)} median ${s.median.toFixed(2).padStart(7)} ms  p95 ${s.p95.toFixed(2).padStart(7)} ms  x${(s.median / base.median).toFixed(2)} baseline`,
      );
    }
  } finally {
    kms.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
})();
