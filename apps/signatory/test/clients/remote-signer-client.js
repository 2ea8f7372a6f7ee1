// A plain-node client run by e2e-remote-signer.test.ts: Taquito's RemoteSigner 21 signs `count`
// generic operations for one key through the signer at `url`, and @taquito/utils verifySignature
// checks each result. Runs outside jest because Taquito's elliptic-based checks are 30-80x slower
// under jest's module sandbox. Prints one JSON line: {signed, verified, prefixes, errors}.
'use strict';
const { LocalForger } = require('@taquito/local-forging');
const { RemoteSigner } = require('@taquito/remote-signer');
const { verifySignature } = require('@taquito/utils');

const [url, pkh, publicKey, countText] = process.argv.slice(2);
const count = Number(countText);
const BRANCH = 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2';

async function main() {
  const signer = new RemoteSigner(pkh, url);
  const forger = new LocalForger();
  const result = { publicKey: await signer.publicKey(), signed: 0, verified: 0, prefixes: {}, errors: [] };
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const i = next++;
        try {
          const hex = await forger.forge({
            branch: BRANCH,
            contents: [
              {
                kind: 'transaction',
                source: pkh,
                fee: String(400 + i),
                counter: String(i + 1),
                gas_limit: '1600',
                storage_limit: '0',
                amount: String(1000 + i),
                destination: 'tz1SdoVSPFhnAGNMvqHn1MpzP7hkxEqDusPN',
              },
            ],
          });
          const out = await signer.sign(hex, new Uint8Array([3]));
          result.signed++;
          const p = out.prefixSig.slice(0, out.prefixSig.startsWith('spsig1') ? 6 : 5);
          result.prefixes[p] = (result.prefixes[p] || 0) + 1;
          if (verifySignature('03' + hex, publicKey, out.prefixSig)) result.verified++;
        } catch (e) {
          result.errors.push(`${e.name}: ${e.message}`);
        }
      }
    }),
  );
  process.stdout.write(JSON.stringify(result) + '\n');
}
main().catch((e) => {
  process.stdout.write(JSON.stringify({ fatal: String(e && e.stack) }) + '\n');
  process.exit(1);
});
