// What the sign benches share: payloads, free ports, KMS keys, `signatory serve` and the sign request (kms-local is
// started with its spawnKmsLocal).
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { KMSClient, CreateKeyCommand, GetPublicKeyCommand } = require('@aws-sdk/client-kms');
const { publicKeyFromSpki, pkhOf } = require('../packages/core/dist');
const { spawnKmsLocal } = require('../packages/kms-local/dist');

const ROOT = join(__dirname, '..');
const SIGNATORY = join(ROOT, 'apps/signatory/dist/main.js');
const CREDS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
/** A forged transaction (magic 0x03), as the tests use. */
const TRANSACTION =
  '038fcf233671b6a04fcf679d2a381c2544ea6c1ea29ba6157776ed8424c7ccd00b6c02e9eef147a9399f12f73e7849c56de3d7b4d5edf9f40302c00c00c0843d00004cbddc4b0180973d51a3665ca42970da24a7a23c00';

const u32 = (n) => (n >>> 0).toString(16).padStart(8, '0');
/** A tz1/tz2/tz3 attestation (magic 0x13) on chain `chain` at `level`, round 0. */
const attestation = (chain, level) => '13' + u32(chain) + '66'.repeat(32) + '15' + '0000' + u32(level) + u32(0) + '40'.repeat(32);
/** A block header (magic 0x11) on chain `chain` at `level`, round 0 (the layout of apps/signatory/test/payloads.ts). */
const block = (chain, level) => {
  const fitness = '00000001' + '02' + '00000004' + u32(level) + '00000000' + '00000004' + 'ffffffff' + '00000004' + u32(0);
  return (
    '11' +
    u32(chain) +
    u32(level) +
    '01' +
    '11'.repeat(32) +
    '0000000065000000' +
    '04' +
    '22'.repeat(32) +
    u32(fitness.length / 2) +
    fitness +
    '33'.repeat(32) +
    '40'.repeat(32) +
    u32(0) +
    '55'.repeat(8) +
    '00' +
    '00'
  );
};

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs `fn({ dir, kms })` with a fresh temp dir and kms-local in it (more flags: `kmsArgs`); both are gone after. */
async function withKmsLocal(name, kmsArgs, fn) {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  let kms;
  try {
    kms = await spawnKmsLocal({ dir: join(dir, 'kms'), args: kmsArgs });
    return await fn({ dir, kms });
  } finally {
    await kms?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `n` new ed25519 (tz1) keys in the KMS at `kmsUrl`: their pkhs. */
async function createKeys(kmsUrl, n) {
  const client = new KMSClient({ endpoint: kmsUrl, region: 'us-east-1', credentials: CREDS, maxAttempts: 1 });
  const pkhs = [];
  for (let i = 0; i < n; i++) {
    const key = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
    const pub = await client.send(new GetPublicKeyCommand({ KeyId: key.KeyMetadata.KeyId }));
    pkhs.push(pkhOf(publicKeyFromSpki(new Uint8Array(pub.PublicKey))));
  }
  client.destroy();
  return pkhs;
}

/**
 * `signatory serve --log error` on `config`, written here: both listeners on free ports, base_dir `baseDir`, the
 * awskms vault at `kmsUrl`, then `rest` (the tezos: block and more). Ready when its /healthz answers 200.
 */
async function startSignatory({ config, baseDir, kmsUrl, rest, args = [] }) {
  const port = await freePort();
  const utility = await freePort();
  writeFileSync(
    config,
    `base_dir: ${baseDir}\nserver:\n  address: 127.0.0.1:${port}\n  utility_address: 127.0.0.1:${utility}\n` +
      `vaults:\n  kms:\n    driver: awskms\n    config:\n      endpoint: ${kmsUrl}\n      region: us-east-1\n` +
      `      access_key_id: ${CREDS.accessKeyId}\n      secret_access_key: ${CREDS.secretAccessKey}\n${rest}`,
  );
  const child = spawn(process.execPath, [SIGNATORY, 'serve', '-c', config, '--log', 'error', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  const exit = new Promise((r) => child.once('exit', () => ((exited = true), r())));
  for (let ready = false; !ready;) {
    if (exited) throw new Error(`signatory serve -c ${config} exited before it was ready (its stderr is above)`);
    await new Promise((r) => setTimeout(r, 100));
    ready = await fetch(`http://127.0.0.1:${utility}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
  }
  return {
    port,
    /** SIGTERM, then waits for the exit (at once if it has already ended). */
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}

/** POST /keys/<pkh> with `hex` through `agent`; resolves with the status code once the body is read. */
function postSign(agent, port, pkh, hex) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(hex);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: `/keys/${pkh}`,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

module.exports = { ROOT, SIGNATORY, CREDS, TRANSACTION, attestation, block, createKeys, freePort, postSign, startSignatory, withKmsLocal };
