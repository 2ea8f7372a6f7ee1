import path from 'node:path';
import { execFile } from 'node:child_process';
import { RemoteSigner } from '@taquito/remote-signer';
import { E2e } from './processes';

// End to end with real processes: Taquito's RemoteSigner 21 (a third-party client) -> `signatory
// serve` -> `kms-local` (every ECDSA S high, so low-S normalisation must run) -> back, and every
// signature checked by @taquito/utils verifySignature.

// 200 signatures through a client process per test: on a loaded CI machine that outlasts jest's default 60 s
jest.setTimeout(180_000);

const PER_KEY = 200;
const CLIENT = path.join(__dirname, 'clients/remote-signer-client.js');

let e2e: E2e;
let url: string;

beforeAll(async () => {
  e2e = await E2e.start('e2e', ['ECC_NIST_EDWARDS25519', 'ECC_SECG_P256K1', 'ECC_NIST_P256'], ['--high-s', 'always']);
  ({ url } = await e2e.serve());
});
afterAll(() => e2e?.stop());

function client(
  pkh: string,
  publicKey: string,
  count: number,
): Promise<{ publicKey: string; signed: number; verified: number; prefixes: Record<string, number>; errors: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLIENT, `${url}/`, pkh, publicKey, String(count)], { timeout: 120_000 }, (err, stdout) => {
      if (err) return reject(new Error(`${err.message}\n${stdout}`));
      resolve(JSON.parse(stdout));
    });
  });
}

describe('@taquito/remote-signer 21 through signatory and kms-local', () => {
  it.each([
    ['tz1', 'edsig'],
    ['tz2', 'spsig1'],
    ['tz3', 'p2sig'],
  ])(`signs ${PER_KEY} generic operations with the %s key, every %s signature verifies`, async (prefix, sigPrefix) => {
    const key = e2e.keys.find((k) => k.pkh.startsWith(prefix))!;
    const r = await client(key.pkh, key.publicKey, PER_KEY);
    expect(r.errors).toEqual([]);
    expect(r.publicKey).toBe(key.publicKey);
    expect(r.signed).toBe(PER_KEY);
    expect(r.verified).toBe(PER_KEY);
    expect(r.prefixes).toEqual({ [sigPrefix]: PER_KEY });
  });

  it('maps refusals to the RemoteSigner errors: 403 for a kind the policy refuses, 404 for an unknown key', async () => {
    const key = e2e.keys[0]!;
    const signer = new RemoteSigner(key.pkh, `${url}/`);
    await expect(signer.sign('0100000003616263', new Uint8Array([5]))).rejects.toMatchObject({ name: 'OperationNotAuthorized' });
    const ghost = new RemoteSigner('tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q', `${url}/`);
    await expect(ghost.publicKey()).rejects.toMatchObject({ name: 'PublicKeyNotFoundError' });
  });
});
