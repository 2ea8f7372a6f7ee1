#!/usr/bin/env node
/**
 * Local signature checks as the AWS KMS vault does them on every signature it returns:
 * core createDigestVerifier (node:crypto for ed25519; for ECDSA @noble/curves with a wNAF table cached
 * for the key point) against plain noble `verify` with the encoded key and an elliptic verifier, on the
 * same digests and signatures, same run. What a new verifier costs is printed too: its first call, and its
 * first 100 calls (one-shot checks until the key has checked 32 signatures, then the table is built).
 * Build first: npx turbo run build --filter=@signatory-ts/core
 * Usage: node bench/signature-verify.js [seconds-per-measure=1]
 */
'use strict';
const path = require('node:path');
const core = require(path.join(__dirname, '..', 'packages', 'core', 'dist'));
const { ec: EC } = require('elliptic');
const { p256 } = require('@noble/curves/nist');
const { secp256k1 } = require('@noble/curves/secp256k1');

const SECONDS = Number(process.argv[2] ?? 1);

function rate(fn) {
  let n = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) for (let i = 0; i < 10; i++, n++) fn(n);
  return n / SECONDS;
}

for (const curve of ['secp256k1', 'p256', 'ed25519']) {
  const sk = { curve, bytes: new Uint8Array(32).fill(0x21) };
  const pk = core.secretKeyPublicKey(sk);
  const msgs = Array.from({ length: 16 }, (_, i) => Uint8Array.of(0x03, i, 1, 2, 3));
  const digests = msgs.map((m) => core.blake2b256(m));
  const sigs = msgs.map((m) => core.signWithSecretKey(m, sk).bytes);
  const t0 = process.hrtime.bigint();
  const verify = core.createDigestVerifier(pk);
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  let firstMs = 0;
  for (let n = 0; n < 100; n++) {
    if (!verify(digests[n % 16], sigs[n % 16])) throw new Error('bad');
    if (n === 0) firstMs = ms();
  }
  const first100Ms = ms();
  const ours = rate((n) => {
    if (!verify(digests[n % 16], sigs[n % 16])) throw new Error('bad');
  });
  let line = `${curve.padEnd(9)} verify: core ${ours.toFixed(0)}/s`;
  if (curve !== 'ed25519') {
    const noble = curve === 'p256' ? p256 : secp256k1;
    const opts = { lowS: curve === 'secp256k1', prehash: false, format: 'compact' };
    const plain = rate((n) => {
      if (!noble.verify(sigs[n % 16], digests[n % 16], pk.bytes, opts)) throw new Error('bad');
    });
    line += ` (new verifier: first call ${firstMs.toFixed(1)} ms, first 100 ${first100Ms.toFixed(0)} ms), plain noble verify ${plain.toFixed(0)}/s, ratio x${(ours / plain).toFixed(2)}`;
    const ec = new EC(curve);
    const key = ec.keyFromPublic(Array.from(pk.bytes));
    const base = rate((n) => {
      const s = sigs[n % 16];
      if (
        !ec.verify(
          Array.from(digests[n % 16]),
          { r: Buffer.from(s.subarray(0, 32)).toString('hex'), s: Buffer.from(s.subarray(32)).toString('hex') },
          key,
        )
      )
        throw new Error('bad');
    });
    line += `; elliptic ${base.toFixed(0)}/s, ratio x${(ours / base).toFixed(2)}`;
  }
  console.log(line);
}
