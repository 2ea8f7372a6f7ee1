import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnKmsLocal, type SpawnedKmsLocal } from '@signatory-ts/kms-local';
import { createKeys, startSignatory, stop, writeConfig, type KmsKey, type Proc } from './processes';
import { httpsCall, issue, makeCa, type Issued } from './tls-certs';

// End to end with real processes: `signatory serve` with server.tls, Taquito's RemoteSigner over
// https trusting the test CA the way an operator would (NODE_EXTRA_CA_CERTS), and SIGHUP swapping
// the certificate under a running daemon.
const CLIENT = path.join(__dirname, 'clients/remote-signer-client.js');

let dir: string;
let kms: SpawnedKmsLocal | undefined;
let sig: Proc | undefined;
let url: string;
let keys: KmsKey[];
let ca: Issued;
let server1: Issued;
let server2: Issued;
let certFile: string;
let keyFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signatory-tls-e2e-'));
  ca = makeCa(dir, 'test-ca');
  server1 = issue(dir, ca, 'server1', 'server');
  server2 = issue(dir, ca, 'server2', 'server');
  certFile = path.join(dir, 'served.crt');
  keyFile = path.join(dir, 'served.key');
  copyFileSync(server1.cert, certFile);
  copyFileSync(server1.key, keyFile);
  const k = await spawnKmsLocal({ dir: path.join(dir, 'kms') });
  kms = k;
  keys = await createKeys(k.url, ['ECC_NIST_EDWARDS25519', 'ECC_NIST_P256']);
  const file = path.join(dir, 'signatory.yaml');
  await writeConfig(file, { baseDir: dir, kmsUrl: k.url, keys });
  const yaml = await readFile(file, 'utf8');
  await writeFile(
    file,
    yaml.replace(
      '  utility_address: 127.0.0.1:0\n',
      `  utility_address: 127.0.0.1:0\n  tls:\n    cert_file: ${certFile}\n    key_file: ${keyFile}\n`,
    ),
  );
  const s = await startSignatory(file);
  sig = s.proc;
  url = s.url.replace(/^http:/, 'https:');
});
afterAll(async () => {
  await stop(sig);
  await kms?.stop();
  await rm(dir, { recursive: true, force: true });
});

function taquito(
  key: KmsKey,
  count: number,
  env: NodeJS.ProcessEnv,
): Promise<{ publicKey?: string; signed?: number; verified?: number; errors?: string[]; fatal?: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLIENT, `${url}/`, key.pkh, key.publicKey, String(count)],
      { timeout: 120_000, env: { ...process.env, ...env } },
      (err, stdout) => {
        if (err && stdout === '') return reject(err);
        resolve(JSON.parse(stdout));
      },
    );
  });
}

describe('signatory serve with server.tls', () => {
  test.each(['tz1', 'tz3'])('Taquito RemoteSigner signs over https with the %s key, every signature verifies', async (prefix) => {
    const key = keys.find((k) => k.pkh.startsWith(prefix))!;
    const r = await taquito(key, 5, { NODE_EXTRA_CA_CERTS: ca.cert });
    expect(r.errors).toEqual([]);
    expect(r.publicKey).toBe(key.publicKey);
    expect(r.signed).toBe(5);
    expect(r.verified).toBe(5);
  });

  test('Taquito without the CA is refused by its own TLS check: nothing signed', async () => {
    const r = await taquito(keys[0]!, 1, { NODE_EXTRA_CA_CERTS: '' });
    expect(r.fatal ?? '').toMatch(/self.signed|unable to verify|issuer certificate/i);
  });

  test('SIGHUP: the next connection gets the renewed certificate; a broken file keeps it and is logged', async () => {
    const caPem = [readFileSync(ca.cert)];
    expect(await httpsCall(`${url}/keys/${keys[0]!.pkh}`, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server1.fingerprint });

    copyFileSync(server2.cert, certFile);
    copyFileSync(server2.key, keyFile);
    sig!.child.kill('SIGHUP');
    await sig!.waitFor(new RegExp(`TLS certificate reloaded for server.tls.*${server2.fingerprint}`));
    expect(await httpsCall(`${url}/keys/${keys[0]!.pkh}`, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server2.fingerprint });

    writeFileSync(certFile, 'renewal went wrong\n');
    sig!.child.kill('SIGHUP');
    await sig!.waitFor(/TLS reload failed, still serving the previous certificate: server.tls.cert_file: .* is not a PEM certificate file/);
    expect(await httpsCall(`${url}/keys/${keys[0]!.pkh}`, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server2.fingerprint });
    expect(sig!.child.exitCode).toBeNull();
  });
});
