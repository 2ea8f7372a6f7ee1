import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blake2b256, watermarkSlot } from '@signatory-ts/core';
import type { PostgresWatermarkConfig } from '@signatory-ts/config';
import { startPostgres, type PostgresServer } from '@signatory-ts/dev-servers';
import { PostgresWatermarkStore } from '../src';

// `ssl.ca_file`: a real PostgreSQL serving TLS with a certificate from a test CA (made with the
// openssl command), and the store checking it.
jest.setTimeout(120_000);

let pg: PostgresServer;
let dir: string;
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

beforeAll(async () => {
  pg = await startPostgres({ durable: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signatory-pg-tls-'));
  for (const ca of ['ca', 'other-ca']) {
    openssl(
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'],
      '-subj',
      `/CN=${ca}`,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.pem`,
    );
  }
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName = IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.pem',
  );
  // the server reads its key as its own user, and only from a file nobody else may read
  const [{ data_directory: data }] = (await pg.sql<{ data_directory: string }>('SHOW data_directory')) as [{ data_directory: string }];
  const { uid, gid } = fs.statSync(data);
  for (const f of ['server.pem', 'server.key']) {
    fs.copyFileSync(path.join(dir, f), path.join(data, f));
    fs.chownSync(path.join(data, f), uid, gid);
    fs.chmodSync(path.join(data, f), 0o600);
  }
  await pg.sql(`ALTER SYSTEM SET ssl_cert_file = 'server.pem'`);
  await pg.sql(`ALTER SYSTEM SET ssl_key_file = 'server.key'`);
  await pg.sql('ALTER SYSTEM SET ssl = on');
  await pg.sql('SELECT pg_reload_conf()');
});
afterAll(async () => {
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const config = (ssl: PostgresWatermarkConfig['ssl']): PostgresWatermarkConfig => ({
  url: pg.url,
  table: 'tls_marks',
  createTable: true,
  poolMax: 2,
  statementTimeoutMs: 30_000, // bounds the TLS connection too: generous for calls that must succeed
  ...(ssl !== undefined ? { ssl } : {}),
});

it('connects over TLS when the server certificate chains to ssl.ca_file, and commits', async () => {
  const store = await PostgresWatermarkStore.open({ config: config({ caFile: path.join(dir, 'ca.pem') }) });
  try {
    const slot = watermarkSlot('NetXo5iVw1vBoxM', 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf', 'block');
    const next = { level: 1, round: 0, digest: blake2b256(new Uint8Array([1])), signature: 'sig' };
    expect(await store.commit(slot, next)).toEqual({ status: 'committed' });
    const sessions = await pg.sql<{ ssl: boolean }>(
      `SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'signatory-ts'`,
    );
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.ssl)).toBe(true);
  } finally {
    await store.close();
  }
});

it.each([
  ['another CA', () => ({ caFile: path.join(dir, 'other-ca.pem') })],
  ['the system CAs (ssl: {})', () => ({})],
])('refuses at start-up a server certificate that does not chain to %s', async (_what, ssl) => {
  await expect(PostgresWatermarkStore.open({ config: config(ssl()) })).rejects.toMatchObject({
    code: 'config_invalid',
    message: expect.stringMatching(
      /^watermark store postgres: cannot connect: .*certificate.*: check watermark.config \(url, password, ssl\)/,
    ),
  });
});
