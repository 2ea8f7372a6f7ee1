#!/usr/bin/env node
// `npm start`: the embedded default. Starts kms-local (a local AWS KMS endpoint) with state in
// ./.state/, creates one tz1, one tz2 and one tz3 key on first run (reused afterwards), writes
// ./.state/signatory.yaml for them and runs `signatory serve`. Ctrl-C stops both.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { KMSClient, CreateKeyCommand, CreateAliasCommand, ListAliasesCommand, GetPublicKeyCommand } = require('@aws-sdk/client-kms');
const { publicKeyFromSpki, pkhOf, encodePublicKey } = require('@signatory-ts/core');
const { spawnKmsLocal } = require('@signatory-ts/kms-local');

const root = path.resolve(__dirname, '..');
const state = path.join(root, '.state');
const KEYS = [
  { alias: 'alias/signatory-dev-tz1', spec: 'ECC_NIST_EDWARDS25519' },
  { alias: 'alias/signatory-dev-tz2', spec: 'ECC_SECG_P256K1' },
  { alias: 'alias/signatory-dev-tz3', spec: 'ECC_NIST_P256' },
];
// kms-local accepts any well-formed SigV4 signature unless told otherwise: these are placeholders, not secrets
const DUMMY = { accessKeyId: 'AKIDLOCALDEV', secretAccessKey: 'local-dev-not-a-secret' };
const REGION = 'us-east-1';
const ADDRESS = process.env.SIGNATORY_ADDRESS || '127.0.0.1:6732';
const UTILITY = process.env.SIGNATORY_UTILITY_ADDRESS || '127.0.0.1:9583';

let signatory;
let kmsLocal;
let stopping = false;
/** Stops signatory first (it finishes signatures in flight), then kms-local, then exits. */
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  if (signatory && signatory.exitCode === null && signatory.signalCode === null) {
    const gone = new Promise((r) => signatory.once('exit', r));
    signatory.kill('SIGTERM');
    await gone;
  }
  if (kmsLocal) await kmsLocal.stop(); // its key store in ./.state/kms is kept
  process.exit(code);
}

async function ensureKeys(kms) {
  const aliases = new Map();
  const listed = await kms.send(new ListAliasesCommand({ Limit: 100 }));
  for (const a of listed.Aliases || []) if (a.TargetKeyId) aliases.set(a.AliasName, a.TargetKeyId);
  const out = [];
  for (const k of KEYS) {
    let keyId = aliases.get(k.alias);
    if (!keyId) {
      const created = await kms.send(
        new CreateKeyCommand({ KeySpec: k.spec, KeyUsage: 'SIGN_VERIFY', Description: 'signatory-ts npm start' }),
      );
      keyId = created.KeyMetadata.KeyId;
      await kms.send(new CreateAliasCommand({ AliasName: k.alias, TargetKeyId: keyId }));
    }
    const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const pk = publicKeyFromSpki(new Uint8Array(pub.PublicKey));
    out.push({ alias: k.alias, pkh: pkhOf(pk), publicKey: encodePublicKey(pk) });
  }
  return out;
}

function writeConfig(file, kmsUrl, keys) {
  const lines = [
    '# written by scripts/start.js on every run (local development only)',
    `base_dir: ${JSON.stringify(state)}`,
    'server:',
    `  address: ${JSON.stringify(ADDRESS)}`,
    `  utility_address: ${JSON.stringify(UTILITY)}`,
    'vaults:',
    '  local:',
    '    driver: awskms',
    '    config:',
    `      endpoint: ${JSON.stringify(kmsUrl)}`,
    `      region: ${REGION}`,
    `      access_key_id: ${DUMMY.accessKeyId}`,
    `      secret_access_key: ${DUMMY.secretAccessKey}`,
    '      keys:',
    ...keys.map((k) => `        - ${k.alias}`),
    'tezos:',
  ];
  for (const k of keys) {
    lines.push(
      `  ${k.pkh}:`,
      '    allow:',
      '      block:',
      '      preattestation:',
      '      attestation:',
      '      attestation_with_dal:',
      '      generic: [transaction, reveal, delegation, origination, stake, unstake, finalize_unstake]',
    );
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

async function main() {
  fs.mkdirSync(state, { recursive: true, mode: 0o700 });
  kmsLocal = await spawnKmsLocal({ dir: path.join(state, 'kms') });
  const kmsUrl = kmsLocal.url;
  const kms = new KMSClient({ endpoint: kmsUrl, region: REGION, credentials: DUMMY });
  const keys = await ensureKeys(kms);
  kms.destroy();
  const configFile = path.join(state, 'signatory.yaml');
  writeConfig(configFile, kmsUrl, keys);

  signatory = spawn(
    process.execPath,
    [require.resolve('@signatory-ts/signatory/dist/main.js'), 'serve', '-c', configFile, ...process.argv.slice(2)],
    {
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  let announced = false;
  readline.createInterface({ input: signatory.stderr }).on('line', (line) => {
    process.stderr.write(line + '\n');
    if (!announced && line.includes('Utility HTTP server is listening')) {
      announced = true;
      const tz3 = keys[2].pkh;
      process.stdout.write(
        [
          '',
          `kms-local: ${kmsUrl}   config: ${path.relative(root, configFile)}   watermarks: ${path.relative(root, state)}/watermark_v2/`,
          ...keys.map((k) => `  ${k.pkh}  ${k.publicKey}  (${k.alias})`),
          '',
          'Sign a transaction with the tz3 key:',
          `  curl -s -X POST -H 'Content-Type: application/json' http://${ADDRESS}/keys/${tz3} \\`,
          `    -d '"038fcf233671b6a04fcf679d2a381c2544ea6c1ea29ba6157776ed8424c7ccd00b6c02e9eef147a9399f12f73e7849c56de3d7b4d5edf9f40302c00c00c0843d00004cbddc4b0180973d51a3665ca42970da24a7a23c00"'`,
          `Metrics: curl -s http://${UTILITY}/metrics    Health: curl -s http://${UTILITY}/healthz`,
          'Ctrl-C stops both.',
          '',
        ].join('\n'),
      );
    }
  });
  signatory.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`signatory exited (${code ?? signal})\n`);
    stopAll(code ?? 1);
  });
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
}

main().catch((e) => {
  process.stderr.write(`npm start: ${e.message}\n`);
  stopAll(1);
});
