import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  concatBytes,
  encodePublicKey,
  encodeSignature,
  fromHex,
  b58Decode,
  parseSecretKey,
  secretKeyPublicKey,
  signWithSecretKey,
} from '@signatory-ts/core';
import { consensus } from './payloads';
import { E2e, until, waitFor } from './processes';

// Real processes on loopback: an attacker on 127.0.0.2 (or more addresses), a baker on 127.0.0.1.
let e2e: E2e;
const held: Socket[] = [];

beforeAll(async () => {
  e2e = await E2e.start('conn', ['ECC_NIST_EDWARDS25519']);
});
afterEach(() => {
  for (const s of held.splice(0)) s.destroy();
});
afterAll(() => e2e?.stop());

const signatory = (args: string[] = [], wrap: string[] = []) => e2e.serve({ args, wrap });

/** A baker's attestation from 127.0.0.1 (node's http with its own source address, no keep-alive). */
function attest(
  url: string,
  level: number,
  localAddress = '127.0.0.1',
  authentication?: (hex: string) => string,
): Promise<{ status: number; text: string }> {
  const hex = consensus('attestation', level, 0);
  const body = JSON.stringify(hex);
  const query = authentication !== undefined ? `?authentication=${authentication(hex)}` : '';
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/keys/${e2e.keys[0]!.pkh}${query}`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens `n` connections from `localAddress` that start a sign request and never finish its body; counts those the server closes. */
function slowBodies(url: string, n: number, localAddress: string): { closed: () => number } {
  const { hostname, port } = new URL(url);
  let closed = 0;
  for (let i = 0; i < n; i++) {
    const s = connect({ host: hostname, port: Number(port), localAddress });
    held.push(s);
    s.on('error', () => undefined);
    s.on('connect', () => s.write(`POST /keys/${e2e.keys[0]!.pkh} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"03`));
    s.on('close', () => closed++);
  }
  return { closed: () => closed };
}

describe('connection limits (real daemon under an open-files limit of 1024)', () => {
  it('one address holding 1000 slow bodies gets 128 connections; a baker on another address still signs', async () => {
    const s = await signatory(['--read-timeout-ms', '600000'], ['prlimit', '--nofile=1024:1024']);
    const line = await s.proc.waitFor(/HTTP server is listening/);
    expect(line.input).toMatch(/max_client_connections=128\b/);
    expect(line.input).toMatch(/max_connections=736\b/); // 3/4 of 1024, less the utility listener's 32
    const attack = slowBodies(s.url, 1000, '127.0.0.2');
    // the server closes every connection past the 128th from that address as it arrives
    await until(() => attack.closed() >= 1000 - 128);
    for (let level = 1; level <= 5; level++) {
      const r = await attest(s.url, level);
      expect([r.status, r.text]).toEqual([200, expect.stringMatching(/^\{"signature":"edsig/)]);
    }
    expect(attack.closed()).toBe(1000 - 128); // the attacker's 128 are still held: nothing else was dropped
    const metrics = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(metrics).toMatch(/http_connections_refused_total\{listener="signing",cap="client"\} [1-9]/);
  });

  it('many addresses together reach the total cap, and the daemon neither crashes nor stops serving once they leave', async () => {
    const s = await signatory(['--read-timeout-ms', '600000', '--max-connections', '300'], ['prlimit', '--nofile=1024:1024']);
    const attacks = ['127.0.0.3', '127.0.0.4', '127.0.0.5'].map((a) => slowBodies(s.url, 128, a));
    await until(() => attacks.reduce((n, a) => n + a.closed(), 0) >= 3 * 128 - 300);
    for (const sock of held.splice(0)) sock.destroy();
    const r = await waitFor(async () => {
      const a = await attest(s.url, 100).catch(() => undefined);
      return a?.status === 200 ? a : undefined;
    });
    expect(r.text).toMatch(/^\{"signature":"edsig/);
    expect(s.proc.child.exitCode).toBeNull();
  });

  it('idle keep-alive connections make room: one address that left 128 open still gets served, and so does a baker when idle ones from other addresses fill the total', async () => {
    const s = await signatory(['--max-connections', '300']);
    // one request each, then the connection stays open (keep-alive), idle
    const idle = (n: number, localAddress: string) =>
      Promise.all(
        Array.from({ length: n }, () => {
          const { hostname, port } = new URL(s.url);
          const sock = connect({ host: hostname, port: Number(port), localAddress });
          held.push(sock);
          sock.on('error', () => undefined);
          sock.write('GET /authorized_keys HTTP/1.1\r\nHost: x\r\n\r\n');
          return new Promise<void>((resolve) => sock.once('data', () => resolve()));
        }),
      );
    await idle(128, '127.0.0.2');
    const again = await attest(s.url, 150, '127.0.0.2');
    expect(again.status).toBe(200);
    await idle(100, '127.0.0.3');
    await idle(100, '127.0.0.4');
    const baker = await attest(s.url, 151, '127.0.0.1');
    expect(baker.status).toBe(200);
    const metrics = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(metrics).not.toMatch(/http_connections_refused_total\{listener="signing"/); // made room, refused none
  });

  it('a body that does not arrive within --read-timeout-ms is answered 408 and closed; so is a connection that sends nothing', async () => {
    // the clock starts when the daemon accepts a connection: the baker's request below, written as soon as this
    // (loaded) process gets to it, must arrive within it; the two connections that never finish reach it
    const s = await signatory(['--read-timeout-ms', '5000']);
    const { hostname, port } = new URL(s.url);
    const answers = await Promise.all(
      ['POST /keys/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"03', ''].map(
        (start) =>
          new Promise<string>((resolve) => {
            const sock = connect({ host: hostname, port: Number(port) }, () => sock.write(start));
            let got = '';
            sock.on('data', (d) => (got += d));
            sock.on('close', () => resolve(got));
          }),
      ),
    );
    expect(answers.map((a) => a.split('\r\n')[0])).toEqual(['HTTP/1.1 408 Request Timeout', 'HTTP/1.1 408 Request Timeout']);
    expect((await attest(s.url, 200)).status).toBe(200);
  });
});

describe('failed authentications are limited per client address (real daemon)', () => {
  // two client keys: a P-256 one (ECDSA verification is the expensive kind) and the baker's ed25519 one
  const CLIENT_SK = 'edsk3ZAm9nqEo7qNugo2wcmxWnbDe7oUUmHt5UJYDdqwucsaHTAsVQ';
  const OTHER_SK = 'p2sk2rUMnnnFPQCB7DBozkCZrFhiZ87ddrpAHbRcww7dwU2WHYUbci';
  const pk = (sk: string) => encodePublicKey(secretKeyPublicKey(parseSecretKey(sk)));
  /** Octez's authenticated request: 0x04 0x01 ‖ tag ‖ 20-byte target hash ‖ request, signed by a client key. */
  const authBy = (sk: string) => (hex: string) => {
    const { payload } = b58Decode(e2e.keys[0]!.pkh, ['tz1']);
    const s = signWithSecretKey(concatBytes(new Uint8Array([0x04, 0x01, 0x00]), payload, fromHex(hex)), parseSecretKey(sk));
    return encodeSignature(s.curve, s.bytes);
  };
  /** A well-formed signature by the right kind of key over other bytes: costs a verification, verifies nothing. */
  const bogus = () => authBy(CLIENT_SK)('00');

  it('after 5 signatures that match no key an address gets 429 before any verification, even with a valid signature; another address still signs', async () => {
    const cfg = path.join(e2e.dir, 'auth.yaml');
    await writeFile(
      cfg,
      (await readFile(e2e.configFile, 'utf8')).replace('server:\n', `server:\n  authorized_keys: [${pk(OTHER_SK)}, ${pk(CLIENT_SK)}]\n`),
    );
    const s = await e2e.serve({ config: cfg, args: ['--max-auth-failures', '5'] });
    const attacker: number[] = [];
    // a missing or unparseable signature costs no verification: it is answered, not counted
    for (let i = 0; i < 6; i++) attacker.push((await attest(s.url, 290 + i, '127.0.0.2', i % 2 ? () => 'edsigNOPE' : undefined)).status);
    for (let i = 0; i < 8; i++) attacker.push((await attest(s.url, 300 + i, '127.0.0.2', bogus)).status);
    expect(attacker).toEqual([401, 400, 401, 400, 401, 400, 403, 403, 403, 403, 403, 429, 429, 429]);
    const refused = await attest(s.url, 310, '127.0.0.2', authBy(CLIENT_SK));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)[0].msg).toMatch(/^too many failed authentications from 127\.0\.0\.2 \(5 a minute\); retry in \d+ s$/);
    const baker = await attest(s.url, 311, '127.0.0.1', authBy(CLIENT_SK));
    expect([baker.status, baker.text]).toEqual([200, expect.stringMatching(/^\{"signature":"edsig/)]);
    const metrics = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /authentication_failure_total\{status="429",auth_method="authentication",client_ip="(::ffff:)?127\.0\.0\.2"\} 4/,
    );
  });
});

describe('listen errors', () => {
  it('an address in use: one line that names the address, the setting and the fix; no stack trace; exit 1', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    const cfg = path.join(e2e.dir, 'busy.yaml');
    await writeFile(cfg, (await readFile(e2e.configFile, 'utf8')).replace('address: 127.0.0.1:0', `address: 127.0.0.1:${port}`));
    const p = e2e.spawn({ config: cfg });
    expect(await p.exited).toBe(1);
    busy.close();
    expect(p.lines).toContain(
      `signatory: cannot listen on 127.0.0.1:${port} (server.address): the address is already in use: another process (another signatory?) listens there; stop it, or choose a free port`,
    );
    expect(p.lines.filter((l) => /^\s+at |Error:/.test(l))).toEqual([]);
  });
});
