import { spawnKmsLocal, type SpawnedKmsLocal } from '@signatory-ts/kms-local';
import { consensus } from './payloads';
import { E2e } from './processes';

// Real processes on loopback: `signatory serve` started while its KMS (`kms-local`) is down.
let e2e: E2e;
let kms: SpawnedKmsLocal | undefined;

beforeAll(async () => {
  // create the key, then stop kms-local: its port is where the signer will look for KMS
  e2e = await E2e.start('vault-down', ['ECC_NIST_EDWARDS25519']);
  await e2e.kms.stop();
});
afterAll(async () => {
  await kms?.stop();
  await e2e?.stop();
});

const post = (url: string, hex: string) => e2e.post(url, hex);
describe('KMS down at start-up', () => {
  it('answers 500 naming the vault problem (not 404), then signs soon after KMS comes up, without a restart', async () => {
    const key = e2e.keys[0]!;
    // a KMS deadline short enough that the calls to the KMS that is down give up soon (each is refused, then retried
    // until the deadline), and far above what a call to the KMS that is up needs on a loaded machine
    const s = await e2e.serve({ args: ['--kms-deadline-ms', '3000'] });
    await s.proc.waitFor(/Vault AWSKMS could not list its keys/);
    const port = new URL(e2e.kms.url).port;

    const down = await post(s.url, consensus('attestation', 10, 0));
    expect(down.status).toBe(500);
    expect(down.text).toContain(`${key.pkh} is in no vault that answered, and vault AWSKMS could not list its keys`);
    expect(down.text).toContain(`127.0.0.1:${port}`);
    const pk = await fetch(`${s.url}/keys/${key.pkh}`);
    expect(pk.status).toBe(500);

    kms = await spawnKmsLocal({ dir: e2e.kms.dir, args: ['--port', port] });
    // poll the signer (each request may itself trigger the re-list) until KMS is seen
    let level = 11;
    let r = await post(s.url, consensus('attestation', level, 0));
    while (r.status !== 200) {
      expect(r.status).toBe(500);
      await new Promise((resolve) => setTimeout(resolve, 50));
      r = await post(s.url, consensus('attestation', ++level, 0));
    }
    expect(JSON.parse(r.text).signature).toMatch(/^edsig/);
    expect(await (await fetch(`${s.url}/keys/${key.pkh}`)).json()).toEqual({ public_key: key.publicKey });
  }, 120_000);
});
