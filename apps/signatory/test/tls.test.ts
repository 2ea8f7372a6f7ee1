import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { connect } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { parseConfig } from '@signatory-ts/config';
import { awsKmsOpener } from '../src/aws-vault';
import { plainHttpWarnings, serve, type Daemon } from '../src/daemon';
import { listen } from '../src/listen';
import { loadTls } from '../src/tls';
import { captureLogs, daemonYaml, startLocalKms, type LocalKms } from './harness';
import { W, W_SK } from './keys';
import { TRANSACTION } from './payloads';
import { encryptKey, httpsCall, issue, makeCa, type Issued } from './tls-certs';

const PASSPHRASE = 'Key-Passphrase-Never-Logged-7';

let local: LocalKms;
let dir: string;
let ca: Issued;
let server1: Issued;
let server2: Issued;
let clientCa: Issued;
let client: Issued;
let stranger: Issued;

beforeAll(async () => {
  local = await startLocalKms('tls', [{ secret: W_SK }]);
  dir = local.dir;
  ca = makeCa(dir, 'test-ca');
  server1 = issue(dir, ca, 'server1', 'server');
  server2 = issue(dir, ca, 'server2', 'server');
  clientCa = makeCa(dir, 'client-ca');
  client = issue(dir, clientCa, 'client', 'client');
  stranger = issue(dir, makeCa(dir, 'other-ca'), 'stranger', 'client');
});
afterAll(() => local?.close());

const capture = () => captureLogs();

const yaml = (server: string) =>
  daemonYaml({ baseDir: dir, kmsUrl: local.kms.url, server, rest: `tezos:\n  ${W}:\n    allow:\n      generic: [transaction]\n` });

const tlsBlock = (o: { cert: string; key: string; extra?: string }, name = 'tls') =>
  `  ${name}:\n    cert_file: ${o.cert}\n    key_file: ${o.key}\n${o.extra ?? ''}`;

/** Copies of a certificate and key the daemon serves from, so a test can replace them. */
function servedFiles(name: string, from: Issued): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  copyFileSync(from.cert, cert);
  copyFileSync(from.key, key);
  chmodSync(key, 0o600);
  return { cert, key };
}

async function start(server: string, log = capture()): Promise<Daemon> {
  return serve(parseConfig(yaml(server), { env: {} }), { logger: log.logger, openVault: awsKmsOpener(2000, () => undefined) });
}

const signOver = (url: string, options: Parameters<typeof httpsCall>[1] = {}) =>
  httpsCall(`${url}/keys/${W}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `"${TRANSACTION}"`, ...options });

describe('server.tls and server.utility_tls', () => {
  let d: Daemon;
  let url: string;
  let files: { cert: string; key: string };
  const log = capture();
  beforeAll(async () => {
    files = servedFiles('served', server1);
    d = await start(`${tlsBlock(files)}\n${tlsBlock(files, 'utility_tls')}`, log);
    url = `https://127.0.0.1:${d.main.port}`;
  });
  afterAll(() => d.shutdown());

  test('a client trusting the test CA signs over https; the certificate is the configured one', async () => {
    const r = await signOver(url, { ca: [readFileSync(ca.cert)] });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).signature).toMatch(/^edsig/);
    expect(r.fingerprint).toBe(server1.fingerprint);
    const line = log.lines.find((l) => l.includes('HTTP server is listening')) ?? '';
    expect(line).toContain(' tls=true');
    expect(line).toContain(' mtls=false');
    expect(line).toContain(`fingerprint256="${server1.fingerprint}"`);
  });

  test('a client that does not trust the CA refuses the server', async () => {
    await expect(signOver(url)).rejects.toMatchObject({ code: expect.stringMatching(/UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/) });
  });

  test('plain HTTP to the TLS port gets no answer', async () => {
    await expect(fetch(`http://127.0.0.1:${d.main.port}/keys/${W}`)).rejects.toThrow();
  });

  test('the utility listener serves https too', async () => {
    const r = await httpsCall(`https://127.0.0.1:${d.utility.port}/healthz`, { ca: [readFileSync(ca.cert)] });
    expect(r).toMatchObject({ status: 200, fingerprint: server1.fingerprint });
  });

  test('reload: the next connection gets the new certificate, an open one is kept; a broken file keeps the old one', async () => {
    const caPem = [readFileSync(ca.cert)];
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: caPem });
    try {
      const first = await httpsCall(`${url}/keys/${W}`, { agent });
      expect(first).toMatchObject({ status: 200, fingerprint: server1.fingerprint, reused: false });

      copyFileSync(server2.cert, files.cert);
      copyFileSync(server2.key, files.key);
      expect(d.reloadTls()).toEqual([{ setting: 'server.tls' }, { setting: 'server.utility_tls' }]);
      expect(await httpsCall(`${url}/keys/${W}`, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server2.fingerprint });
      // the kept-alive connection was not dropped: the same TCP connection answers again
      expect(await httpsCall(`${url}/keys/${W}`, { agent })).toMatchObject({ status: 200, reused: true, localPort: first.localPort });

      writeFileSync(files.key, 'not a key\n');
      const failed = d.reloadTls();
      expect(failed[0]).toEqual({
        setting: 'server.tls',
        error: `server.tls.key_file: ${files.key} is not a PEM private key (no "-----BEGIN … PRIVATE KEY-----" block)`,
      });
      expect(log.lines.some((l) => l.includes('TLS reload failed, still serving the previous certificate'))).toBe(true);
      expect(await httpsCall(`${url}/keys/${W}`, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server2.fingerprint });

      // a certificate outside its validity (here: the clock two weeks on) does not replace a working one
      copyFileSync(server1.cert, files.cert);
      copyFileSync(server1.key, files.key);
      const later = Date.now() + 14 * 86_400_000;
      expect(d.reloadTls(later)[0]?.error).toContain(`server.tls.cert_file: the certificate in ${files.cert} expired on `);
      expect(await httpsCall(`${url}/keys/${W}`, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server2.fingerprint });
      copyFileSync(server2.cert, files.cert);

      copyFileSync(server1.key, files.key); // server2's certificate with server1's key
      expect(d.reloadTls()[0]?.error).toBe(
        `server.tls: the key in ${files.key} does not match the certificate in ${files.cert} (the first certificate must be the server's own, then its intermediates)`,
      );
      expect(await httpsCall(`${url}/keys/${W}`, { ca: caPem })).toMatchObject({ status: 200, fingerprint: server2.fingerprint });
    } finally {
      agent.destroy();
    }
  });
});

describe('client certificates (client_ca_file: mTLS)', () => {
  let d: Daemon;
  let url: string;
  const caPem = () => [readFileSync(ca.cert)];
  const pem = (f: string) => readFileSync(f);
  beforeAll(async () => {
    d = await start(
      tlsBlock({ ...servedFiles('mtls', server1), extra: `    client_ca_file: ${clientCa.cert}\n    min_version: TLSv1.3\n` }),
    );
    url = `https://127.0.0.1:${d.main.port}`;
  });
  afterAll(() => d.shutdown());

  test('a client with a certificate from the client CA signs', async () => {
    const r = await signOver(url, { ca: caPem(), cert: pem(client.cert), key: pem(client.key) });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).signature).toMatch(/^edsig/);
  });

  test('a client without a certificate is refused at the handshake, before any HTTP', async () => {
    await expect(signOver(url, { ca: caPem() })).rejects.toMatchObject({
      code: expect.stringMatching(/CERTIFICATE_REQUIRED|ECONNRESET|EPIPE/),
    });
  });

  test('a client certificate from another CA is refused', async () => {
    await expect(signOver(url, { ca: caPem(), cert: pem(stranger.cert), key: pem(stranger.key) })).rejects.toMatchObject({
      code: expect.stringMatching(/UNKNOWN_CA|ECONNRESET|EPIPE/),
    });
  });

  test('min_version TLSv1.3: a TLS 1.2 client is refused', async () => {
    await expect(signOver(url, { ca: caPem(), cert: pem(client.cert), key: pem(client.key), maxVersion: 'TLSv1.2' })).rejects.toMatchObject(
      {
        message: expect.stringMatching(/version/i),
      },
    );
  });
});

describe('start-up checks name the file and what is wrong, before anything listens', () => {
  const refused = async (server: string) => {
    try {
      const d = await start(server);
      await d.shutdown();
    } catch (e) {
      return e as { code: string; message: string };
    }
    throw new Error('the daemon started');
  };

  test.each<[string, () => string, () => string]>([
    [
      'a missing certificate',
      () => tlsBlock({ cert: path.join(dir, 'nope.crt'), key: server1.key }),
      () => `server.tls.cert_file: cannot read ${path.join(dir, 'nope.crt')}: no such file`,
    ],
    [
      'a directory as key',
      () => tlsBlock({ cert: server1.cert, key: dir }),
      () => `server.tls.key_file: cannot read ${dir}: it is a directory, not a file`,
    ],
    [
      'a certificate file that is not PEM',
      () => tlsBlock({ cert: server1.key, key: server1.key }),
      () => `server.tls.cert_file: ${server1.key} is not a PEM certificate file (no "-----BEGIN CERTIFICATE-----" block)`,
    ],
    [
      'a key file that is a certificate',
      () => tlsBlock({ cert: server1.cert, key: server1.cert }),
      () => `server.tls.key_file: ${server1.cert} is not a PEM private key (no "-----BEGIN … PRIVATE KEY-----" block)`,
    ],
    [
      'a key of another certificate',
      () => tlsBlock({ cert: server1.cert, key: server2.key }),
      () =>
        `server.tls: the key in ${server2.key} does not match the certificate in ${server1.cert} (the first certificate must be the server's own, then its intermediates)`,
    ],
    [
      'an encrypted key without a passphrase',
      () => tlsBlock({ cert: server1.cert, key: encryptKey(dir, server1.key, PASSPHRASE) }),
      () =>
        `server.tls.key_file: ${path.join(dir, 'server1.enc.key')} is encrypted: set server.tls.key_passphrase (e.g. key_passphrase: \${TLS_KEY_PASSPHRASE})`,
    ],
    [
      'a client CA that is not PEM',
      () => tlsBlock({ cert: server1.cert, key: server1.key, extra: `    client_ca_file: ${server1.key}\n` }),
      () => `server.tls.client_ca_file: ${server1.key} is not a PEM certificate file (no "-----BEGIN CERTIFICATE-----" block)`,
    ],
    [
      'a utility certificate that is missing',
      () => tlsBlock({ cert: path.join(dir, 'gone.crt'), key: server1.key }, 'utility_tls'),
      () => `server.utility_tls.cert_file: cannot read ${path.join(dir, 'gone.crt')}: no such file`,
    ],
  ])('%s', async (_n, server, message) => {
    expect(await refused(server())).toMatchObject({ code: 'config_invalid', message: message() });
  });

  test('a wrong passphrase is refused without showing it; the right one serves', async () => {
    const enc = encryptKey(dir, server1.key, PASSPHRASE);
    const e = await refused(tlsBlock({ cert: server1.cert, key: enc, extra: '    key_passphrase: Wrong-Passphrase-123\n' }));
    expect(e.message).toBe(`server.tls.key_file: ${enc} cannot be decrypted with server.tls.key_passphrase: check the passphrase`);
    const log = capture();
    const d = await start(tlsBlock({ cert: server1.cert, key: enc, extra: `    key_passphrase: ${PASSPHRASE}\n` }), log);
    try {
      const r = await httpsCall(`https://127.0.0.1:${d.main.port}/keys/${W}`, { ca: [readFileSync(ca.cert)] });
      expect(r).toMatchObject({ status: 200, fingerprint: server1.fingerprint });
    } finally {
      await d.shutdown();
    }
    expect(log.lines.join('\n')).not.toContain(PASSPHRASE);
  });

  test('a key file others can read is a warning naming the file and the fix', async () => {
    const files = servedFiles('loose', server1);
    chmodSync(files.key, 0o644);
    const log = capture();
    const d = await start(tlsBlock(files), log);
    await d.shutdown();
    expect(
      log.lines.some((l) => l.includes(`server.tls.key_file: ${files.key} can be read by other users (mode 0644); chmod 600 it`)),
    ).toBe(true);
  });
});

describe('connection limits on a TLS listener count TCP connections from their arrival', () => {
  const tls = () => loadTls({ certFile: server1.cert, keyFile: server1.key, minVersion: 'TLSv1.2' }, 'server.tls');
  const hello = (_req: IncomingMessage, res: ServerResponse) => res.end('hello');

  test('connections that never start their handshake meet the per-client cap', async () => {
    let refused: (by: string) => void = () => undefined;
    const refusal = new Promise<string>((r) => (refused = r));
    const l = await listen(hello, '127.0.0.1:0', { tls: tls(), maxClientConnections: 2, onRefused: (by) => refused(by) });
    const silent = [connect(l.port, '127.0.0.1'), connect(l.port, '127.0.0.1')];
    try {
      await Promise.all(silent.map((s) => new Promise((r) => s.once('connect', r))));
      const third = connect(l.port, '127.0.0.1');
      third.on('error', () => undefined);
      await new Promise((r) => third.once('close', r));
      expect(await refusal).toBe('client');
    } finally {
      for (const s of silent) s.destroy();
      l.destroy();
      await l.close();
    }
  });

  test('a kept-alive TLS connection that is idle makes room for a new client connection', async () => {
    const l = await listen(hello, '127.0.0.1:0', { tls: tls(), maxClientConnections: 1 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: [readFileSync(ca.cert)] });
    try {
      expect(await httpsCall(`https://127.0.0.1:${l.port}/`, { agent })).toMatchObject({ status: 200, body: 'hello' });
      // the agent's connection is idle now: the next connection closes it instead of being refused
      expect(await httpsCall(`https://127.0.0.1:${l.port}/`, { ca: [readFileSync(ca.cert)] })).toMatchObject({
        status: 200,
        body: 'hello',
      });
    } finally {
      agent.destroy();
      l.destroy();
      await l.close();
    }
  });
});

describe('warnings about plain HTTP on the network', () => {
  const config = (server: string) => parseConfig(`vaults: {kms: {driver: awskms}}\nserver:\n${server}`, { env: {} });
  const jwt = `  jwt:\n    users:\n      alice: {password: "Correct-Horse-Battery-1", secret: "Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5("}\n`;

  test.each([
    ['0.0.0.0:6732', /the signing listener 0\.0\.0\.0:6732 is plain HTTP on a non-loopback address/],
    [':6732', /the signing listener :6732 is plain HTTP/],
    ['[::]:6732', /plain HTTP on a non-loopback address/],
    ['192.0.2.1:6732', /plain HTTP on a non-loopback address/],
  ])('%s without TLS is warned about', (address, re) => {
    const w = plainHttpWarnings(config(`  address: "${address}"\n`));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(re);
  });

  test('JWT on a non-loopback address without TLS: the warning says passwords and tokens are in clear', () => {
    expect(plainHttpWarnings(config(`  address: 0.0.0.0:6732\n${jwt}`))[0]).toMatch(
      /^server\.jwt is served over plain HTTP on 0\.0\.0\.0:6732: passwords and tokens cross the network in clear/,
    );
  });

  test.each(['127.0.0.1:6732', '127.1.2.3:6732', 'localhost:6732', '[::1]:6732'])('%s (loopback) is not warned about', (address) => {
    expect(plainHttpWarnings(config(`  address: "${address}"\n${jwt}`))).toEqual([]);
  });

  test('with server.tls nothing is warned about', () => {
    expect(plainHttpWarnings(config(`  address: 0.0.0.0:6732\n  tls: {cert_file: a.crt, key_file: a.key}\n${jwt}`))).toEqual([]);
  });
});

describe('failed TLS handshakes in the log', () => {
  test('at most 20 lines a minute, however many a client causes', async () => {
    const log = capture();
    const d = await start(tlsBlock(servedFiles('throttled', server1)), log);
    try {
      // 30 clients speaking plain text to the TLS port: 30 failed handshakes, each connection closed by the server
      await Promise.all(
        Array.from(
          { length: 30 },
          () =>
            new Promise((closed) => {
              const s = connect(d.main.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
              s.on('error', () => undefined).on('close', closed);
            }),
        ),
      );
      expect(log.lines.filter((l) => l.includes('TLS handshake failed'))).toHaveLength(20);
    } finally {
      await d.shutdown();
    }
    // what was held back is said at shutdown, not lost
    expect(log.lines.filter((l) => l.includes('10 more failed TLS handshakes on the signing listener'))).toHaveLength(1);
  });
});
