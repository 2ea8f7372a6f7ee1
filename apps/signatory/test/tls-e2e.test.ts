import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { E2e, type KmsKey, type Proc } from './processes';
import { httpsCall, issue, makeCa, type Issued } from './tls-certs';

// End to end with real processes: `signatory serve` with server.tls, Taquito's RemoteSigner over
// https trusting the test CA the way an operator would (NODE_EXTRA_CA_CERTS), and SIGHUP swapping
// the certificate under a running daemon.
const CLIENT = path.join(__dirname, 'clients/remote-signer-client.js');

let e2e: E2e;
let sig: Proc;
let url: string;
let ca: Issued;
let server1: Issued;
let server2: Issued;
let certFile: string;
let keyFile: string;

beforeAll(async () => {
  e2e = await E2e.start('tls-e2e', ['ECC_NIST_EDWARDS25519', 'ECC_NIST_P256']);
  const dir = e2e.dir;
  ca = makeCa(dir, 'test-ca');
  server1 = issue(dir, ca, 'server1', 'server');
  server2 = issue(dir, ca, 'server2', 'server');
  certFile = path.join(dir, 'served.crt');
  keyFile = path.join(dir, 'served.key');
  copyFileSync(server1.cert, certFile);
  copyFileSync(server1.key, keyFile);
  const yaml = await readFile(e2e.configFile, 'utf8');
  await writeFile(
    e2e.configFile,
    yaml.replace(
      '  utility_address: 127.0.0.1:0\n',
      `  utility_address: 127.0.0.1:0\n  tls:\n    cert_file: ${certFile}\n    key_file: ${keyFile}\n`,
    ),
  );
  const s = await e2e.serve();
  sig = s.proc;
  url = s.url.replace(/^http:/, 'https:');
});
afterAll(() => e2e?.stop());

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
    const key = e2e.keys.find((k) => k.pkh.startsWith(prefix))!;
    const r = await taquito(key, 5, { NODE_EXTRA_CA_CERTS: ca.cert });
    expect(r.errors).toEqual([]);
    expect(r.publicKey).toBe(key.publicKey);
    expect(r.signed).toBe(5);
    expect(r.verified).toBe(5);
  });

  test('Taquito without the CA is refused by its own TLS check: nothing signed', async () => {
    const r = await taquito(e2e.keys[0]!, 1, { NODE_EXTRA_CA_CERTS: '' });
    expect(r.fatal ?? '').toMatch(/self.signed|unable to verify|issuer certificate/i);
  });

  test('SIGHUP: the next connection gets the renewed certificate; a broken file keeps it and is logged', async () => {
    const caPem = [readFileSync(ca.cert)];
    const keyUrl = `${url}/keys/${e2e.keys[0]!.pkh}`;
    expect(await httpsCall(keyUrl, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server1.fingerprint });

    copyFileSync(server2.cert, certFile);
    copyFileSync(server2.key, keyFile);
    sig.child.kill('SIGHUP');
    await sig.waitFor(new RegExp(`TLS certificate reloaded for server.tls.*${server2.fingerprint}`));
    expect(await httpsCall(keyUrl, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server2.fingerprint });

    writeFileSync(certFile, 'renewal went wrong\n');
    sig.child.kill('SIGHUP');
    await sig.waitFor(/TLS reload failed, still serving the previous certificate: server.tls.cert_file: .* is not a PEM certificate file/);
    expect(await httpsCall(keyUrl, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server2.fingerprint });
    expect(sig.child.exitCode).toBeNull();
  });
});
