import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnKmsLocal, type SpawnedKmsLocal } from '@signatory-ts/kms-local';
import { consensus } from './payloads';
import { createKeys, postSign, startSignatory, stop, writeConfig, type KmsKey, type Proc } from './processes';

// Real processes on loopback: `signatory serve` started while its KMS (`kms-local`) is down.
let dir: string;
let kmsDir: string;
let kmsUrl: string;
let keys: KmsKey[];
let configFile: string;
const started: Proc[] = [];
let kms: SpawnedKmsLocal | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signatory-vault-down-'));
  kmsDir = path.join(dir, 'kms');
  // create the key, then stop kms-local: its port is where the signer will look for KMS
  const first = await spawnKmsLocal({ dir: kmsDir });
  kmsUrl = first.url;
  keys = await createKeys(first.url, ['ECC_NIST_EDWARDS25519']);
  await first.stop();
  configFile = path.join(dir, 'signatory.yaml');
  await writeConfig(configFile, { baseDir: dir, kmsUrl, keys });
});
afterAll(async () => {
  for (const p of started) await stop(p, 'SIGKILL');
  await kms?.stop();
  await rm(dir, { recursive: true, force: true });
});

const post = (url: string, hex: string) => postSign(url, keys[0]!.pkh, hex);

describe('KMS down at start-up', () => {
  it('answers 500 naming the vault problem (not 404), then signs soon after KMS comes up, without a restart', async () => {
    const s = await startSignatory(configFile, ['--kms-deadline-ms', '500']);
    started.push(s.proc);
    await s.proc.waitFor(/Vault AWSKMS could not list its keys/);
    const port = new URL(kmsUrl).port;

    const down = await post(s.url, consensus('attestation', 10, 0));
    expect(down.status).toBe(500);
    expect(down.text).toContain(`${keys[0]!.pkh} is in no vault that answered, and vault AWSKMS could not list its keys`);
    expect(down.text).toContain(`127.0.0.1:${port}`);
    const pk = await fetch(`${s.url}/keys/${keys[0]!.pkh}`);
    expect(pk.status).toBe(500);

    kms = await spawnKmsLocal({ dir: kmsDir, args: ['--port', port] });
    // poll the signer (each request may itself trigger the re-list) until KMS is seen
    let level = 11;
    let r = await post(s.url, consensus('attestation', level, 0));
    while (r.status !== 200) {
      expect(r.status).toBe(500);
      await new Promise((resolve) => setTimeout(resolve, 50));
      r = await post(s.url, consensus('attestation', ++level, 0));
    }
    expect(JSON.parse(r.text).signature).toMatch(/^edsig/);
    expect(await (await fetch(`${s.url}/keys/${keys[0]!.pkh}`)).json()).toEqual({ public_key: keys[0]!.publicKey });
  }, 60_000);
});
