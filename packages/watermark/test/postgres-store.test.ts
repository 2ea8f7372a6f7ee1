import { Client } from 'pg';
import { blake2b256, watermarkSlot } from '@signatory-ts/core';
import type { PostgresWatermarkConfig } from '@signatory-ts/config';
import { startPostgres, type PostgresServer } from '@signatory-ts/dev-servers';
import { PostgresWatermarkStore, signWithWatermark, type SignedMark, type WatermarkIoEvent } from '../src';
import { describeWatermarkStore } from './store-conformance';

jest.setTimeout(120_000);

const CHAIN = 'NetXo5iVw1vBoxM';
const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const block = watermarkSlot(CHAIN, PKH, 'block');
const digest = (tag: string) => blake2b256(new TextEncoder().encode(tag));
const mark = (level: number, round: number, tag: string, signature: string): SignedMark => ({
  level,
  round,
  digest: digest(tag),
  signature,
});

let pg: PostgresServer;
let tables = 0;
const open: PostgresWatermarkStore[] = [];

beforeAll(async () => {
  pg = await startPostgres({ durable: false });
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => undefined)));
  await pg?.stop();
});

// statement_timeout_ms also bounds connecting (a SCRAM login costs CPU): generous for calls that must succeed
function config(overrides: Partial<PostgresWatermarkConfig> = {}): PostgresWatermarkConfig {
  return { url: pg.url, table: `wm_${++tables}`, createTable: true, poolMax: 10, statementTimeoutMs: 30_000, ...overrides };
}

async function openStore(c: PostgresWatermarkConfig, onIo?: (e: WatermarkIoEvent) => void, onWarning?: (m: string) => void) {
  const s = await PostgresWatermarkStore.open({ config: c, ...(onIo ? { onIo } : {}), ...(onWarning ? { onWarning } : {}) });
  open.push(s);
  return s;
}

describeWatermarkStore('PostgresWatermarkStore', () => openStore(config()));

describe('PostgresWatermarkStore on a real PostgreSQL', () => {
  it('keeps one row per slot, attestation_with_dal in the attestation row, with the signature', async () => {
    const c = config();
    const store = await openStore(c);
    const att = watermarkSlot(CHAIN, PKH, 'attestation');
    const dal = watermarkSlot(CHAIN, PKH, 'attestation_with_dal');
    expect(await store.commit(dal, mark(5, 0, 'dal', 'sig-dal'))).toEqual({ status: 'committed' });
    expect(await store.commit(att, mark(6, 1, 'plain', 'sig-plain'))).toEqual({ status: 'committed' });
    expect(await store.commit(block, mark(6, 0, 'b', 'sig-b'))).toEqual({ status: 'committed' });
    const rows = await pg.sql(
      `SELECT chain_id, pkh, slot_kind, level, round, length(digest) AS n, signature FROM ${c.table} ORDER BY slot_kind`,
    );
    expect(rows).toEqual([
      { chain_id: CHAIN, pkh: PKH, slot_kind: 'attestation', level: '6', round: '1', n: 32, signature: 'sig-plain' },
      { chain_id: CHAIN, pkh: PKH, slot_kind: 'block', level: '6', round: '0', n: 32, signature: 'sig-b' },
    ]);
    // a DAL attestation at the plain one's level and round is refused, the identical plain one replayed
    expect((await store.commit(dal, mark(6, 1, 'dal-2', 'x'))).status).toBe('rejected');
    expect(await store.commit(att, mark(6, 1, 'plain', 'y'))).toEqual({ status: 'replay', signature: 'sig-plain' });
  });

  it('never replays a mark stored without a signature (an imported Go mark): the identical request is refused', async () => {
    const c = config();
    const store = await openStore(c);
    await pg.sql(`INSERT INTO ${c.table} (chain_id, pkh, slot_kind, level, round, digest) VALUES ($1, $2, 'block', 9, 0, $3)`, [
      CHAIN,
      PKH,
      Buffer.from(digest('go')),
    ]);
    expect(await store.commit(block, mark(9, 0, 'go', 'mine'))).toMatchObject({ status: 'rejected', stored: { level: 9, round: 0 } });
    expect(await store.commit(block, mark(9, 1, 'go', 'mine'))).toEqual({ status: 'committed' });
  });

  it('lets exactly one of many stores (separate pools) commit a slot, and replays one signature to identical requests', async () => {
    const c = config();
    const stores = await Promise.all(Array.from({ length: 6 }, () => openStore({ ...c, poolMax: 4 })));
    for (let level = 1; level <= 5; level++) {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => stores[i % stores.length]!.commit(block, mark(level, 0, `l${level}-${i}`, `s${level}-${i}`))),
      );
      expect(results.filter((r) => r.status === 'committed')).toHaveLength(1);
      const signed = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          signWithWatermark(
            stores[i % stores.length]!,
            block,
            { level, round: 1, digest: digest(`same-${level}`) },
            async () => `sig-${level}-${i}`,
          ),
        ),
      );
      const released = new Set(signed.map((r) => (r.status === 'rejected' ? 'rejected' : r.signature)));
      expect(released.size).toBe(1);
      expect([...released][0]).toMatch(new RegExp(`^sig-${level}-`));
    }
  });

  it('reports every statement to onIo with backend postgres and the table, create then write then read', async () => {
    const events: WatermarkIoEvent[] = [];
    const c = config();
    const store = await openStore(c, (e) => events.push(e));
    await store.commit(block, mark(1, 0, 'a', 'sa'));
    await store.commit(block, mark(2, 0, 'b', 'sb'));
    await store.get(block);
    expect(events.map((e) => [e.operation, e.backend, e.table, e.error])).toEqual([
      ['create', 'postgres', c.table, undefined],
      ['write', 'postgres', c.table, undefined],
      ['read', 'postgres', c.table, undefined],
    ]);
  });

  it('releases a signature only once it is durable when its idle session is killed between the vault call and the commit', async () => {
    const c = config();
    const store = await openStore({ ...c, poolMax: 1 });
    await store.commit(block, mark(10, 0, 'before', 's0'));
    const next = { level: 11, round: 0, digest: digest('idle-kill') };
    let signs = 0;
    const sign = async () => {
      if (++signs === 1) {
        // every store's idle sessions (this store has one)
        const killed = await pg.sql(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'signatory-ts'`);
        expect(killed).toContainEqual({ ok: true });
      }
      return `sig-${signs}`;
    };
    // whether the pool notices the ended session before the commit is a race: either the commit
    // fails (500, nothing released, the slot unchanged) or it runs on a new session and is durable
    const first = await signWithWatermark(store, block, next, sign).catch((e: { code: string; message: string }) => e);
    if ('status' in first) {
      expect(first).toEqual({ status: 'signed', signature: 'sig-1' });
    } else {
      expect(first).toMatchObject({ code: 'internal', message: expect.stringContaining('commit failed: ') });
      expect(await store.get(block)).toMatchObject({ level: 10, signature: 's0' });
      expect(await signWithWatermark(store, block, next, sign)).toEqual({ status: 'signed', signature: 'sig-2' });
    }
    expect(await store.get(block)).toMatchObject({ level: 11, signature: `sig-${signs}` });
  });

  it('throws a store error (not a refusal) when its session is killed during the commit, releases nothing, and the retry commits', async () => {
    const c = config();
    const store = await openStore({ ...c, poolMax: 1, statementTimeoutMs: 30_000 });
    await store.commit(block, mark(10, 0, 'before', 's0'));
    const locker = new Client({ connectionString: pg.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`SELECT * FROM ${c.table} FOR UPDATE`);
    const next = { level: 11, round: 0, digest: digest('killed') };
    let signs = 0;
    const first = signWithWatermark(store, block, next, async () => `sig-lost-${++signs}`);
    // the commit waits on the row lock: end its session there
    let killed: unknown[] = [];
    while (killed.length === 0) {
      killed = await pg.sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'signatory-ts' AND wait_event_type = 'Lock'`,
      );
    }
    await expect(first).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/^watermark store unavailable \(postgres, table wm_\d+\): commit failed: .*; nothing was released$/),
    });
    await locker.query('ROLLBACK');
    await locker.end();
    expect(signs).toBe(1);
    expect(await store.get(block)).toMatchObject({ level: 10, signature: 's0' });
    expect(await signWithWatermark(store, block, next, async () => `sig-retry-${++signs}`)).toEqual({
      status: 'signed',
      signature: 'sig-retry-2',
    });
  });

  it('health() tells why while the server is down, and store errors name the store; both recover with the server', async () => {
    const c = config();
    const store = await openStore(c);
    await store.commit(block, mark(20, 0, 'kept', 'sig-kept'));
    expect(await store.health()).toBeUndefined();
    await pg.pause();
    try {
      expect(await store.health()).toMatch(/^watermark store unavailable \(postgres, table wm_\d+\): health check failed: .*ECONNREFUSED/);
      await expect(store.commit(block, mark(21, 0, 'down', 'x'))).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringMatching(
          /^watermark store unavailable \(postgres, table wm_\d+\): commit failed: .*ECONNREFUSED.*; nothing was released$/,
        ),
      });
      await expect(store.get(block)).rejects.toMatchObject({ code: 'internal' });
    } finally {
      await pg.resume();
    }
    expect(await store.health()).toBeUndefined();
    expect(await store.get(block)).toMatchObject({ level: 20, signature: 'sig-kept' });
    expect(await store.commit(block, mark(21, 0, 'up', 'sig-up'))).toEqual({ status: 'committed' });
  });

  it('health() tells when the table is gone or its grants were revoked, and recovers when they are back', async () => {
    const c = config();
    const store = await openStore(c);
    await pg.sql(`CREATE ROLE health_user LOGIN PASSWORD 'hp'`);
    await pg.sql(`GRANT SELECT, INSERT, UPDATE ON ${c.table} TO health_user`);
    const limited = await openStore({
      ...c,
      url: `postgres://health_user@127.0.0.1:${pg.port}/postgres`,
      password: 'hp',
      createTable: false,
    });
    expect(await limited.health()).toBeUndefined();
    await pg.sql(`REVOKE UPDATE ON ${c.table} FROM health_user`);
    expect(await limited.health()).toBe(
      `watermark store postgres (table ${c.table}): this role lacks SELECT, INSERT or UPDATE on the table`,
    );
    await pg.sql(`GRANT UPDATE ON ${c.table} TO health_user`);
    expect(await limited.health()).toBeUndefined();
    await pg.sql(`ALTER TABLE ${c.table} RENAME TO ${c.table}_moved`);
    expect(await store.health()).toBe(
      `watermark store postgres (table ${c.table}): the table does not exist (dropped, or another database or search_path)`,
    );
    await pg.sql(`ALTER TABLE ${c.table}_moved RENAME TO ${c.table}`);
    expect(await store.health()).toBeUndefined();
  });

  it('throws a store error on a statement timeout (a row locked by another session)', async () => {
    const c = config();
    // the commit below waits on a lock that is never released; the calls before it must succeed within the same bound
    const store = await openStore({ ...c, statementTimeoutMs: 5000 });
    await store.commit(block, mark(1, 0, 'x', 'sx'));
    const locker = new Client({ connectionString: pg.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT * FROM ${c.table} FOR UPDATE`);
      await expect(store.commit(block, mark(2, 0, 'y', 'sy'))).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringContaining('statement timeout'),
      });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(await store.get(block)).toMatchObject({ level: 1 });
  });
});

describe('PostgresWatermarkStore start-up', () => {
  const refused = async (c: PostgresWatermarkConfig) => {
    try {
      const s = await PostgresWatermarkStore.open({ config: c });
      await s.close();
    } catch (e) {
      return e as Error & { code: string };
    }
    throw new Error('store opened');
  };

  it('refuses a wrong password, naming the key and never the password', async () => {
    const secret = 'not-the-password-4242';
    const url = new URL(pg.url);
    url.password = '';
    const e = await refused(config({ url: url.toString(), password: secret }));
    expect(e.code).toBe('config_invalid');
    expect(e.message).toContain('password authentication failed for user "postgres"');
    expect(e.message).toContain('watermark.config.password');
    expect(e.message).not.toContain(secret);
    expect(String((e as { cause?: unknown }).cause)).not.toContain(secret);
  });

  it('connects with the PG* environment variables when there is no url', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      PGHOST: '127.0.0.1',
      PGPORT: String(pg.port),
      PGUSER: pg.user,
      PGPASSWORD: pg.password,
      PGDATABASE: 'postgres',
    });
    try {
      const { url: _url, ...rest } = config();
      const store = await openStore(rest);
      expect(await store.commit(block, mark(1, 0, 'env', 'sig-env'))).toEqual({ status: 'committed' });
      process.env.PGPASSWORD = 'not-it';
      await expect(PostgresWatermarkStore.open({ config: rest })).rejects.toThrow(
        /password authentication failed.*watermark.config.password \(or PGPASSWORD\)/,
      );
    } finally {
      process.env = saved;
    }
  });

  it('passes a password with URL-special characters through unchanged', async () => {
    const password = `p@ss:w/rd%20?#&'"${'$'}{x} é`;
    await pg.sql(`CREATE ROLE odd_pw LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    await pg.sql('GRANT CREATE ON SCHEMA public TO odd_pw');
    const store = await openStore(config({ url: `postgres://odd_pw@127.0.0.1:${pg.port}/postgres`, password }));
    expect(await store.commit(block, mark(1, 0, 'odd', 'sig-odd'))).toEqual({ status: 'committed' });
  });

  it('refuses an unreachable server, naming the url key', async () => {
    const e = await refused(config({ url: 'postgres://postgres@127.0.0.1:1/postgres', password: 'x' }));
    expect(e.message).toMatch(
      /^watermark store postgres: cannot connect: .*ECONNREFUSED.*: check the host and port in watermark.config.url/,
    );
  });

  it('refuses a missing database', async () => {
    const url = new URL(pg.url);
    url.pathname = '/nodb';
    const e = await refused(config({ url: url.toString() }));
    expect(e.message).toMatch(/database "nodb" does not exist.*create the database or fix its name in watermark.config.url/);
  });

  it('refuses a missing table when create_table is false, and creates it otherwise', async () => {
    const c = config({ createTable: false });
    expect((await refused(c)).message).toBe(
      `watermark store postgres: table ${c.table} (watermark.config.table): does not exist: create it with the SQL in docs/watermarks.md, or set watermark.config.create_table: true`,
    );
    await openStore({ ...c, createTable: true });
    await openStore(c); // now it exists: opens without CREATE
  });

  it('starts ten signers at once on a missing table: one creates it, every one opens', async () => {
    for (let round = 0; round < 3; round++) {
      const c = config();
      const stores = await Promise.all(Array.from({ length: 10 }, () => openStore({ ...c, poolMax: 1 })));
      expect(stores).toHaveLength(10);
    }
  });

  it('refuses an incompatible table, saying what it found', async () => {
    const c = config();
    await pg.sql(`CREATE TABLE ${c.table} (chain_id text, pkh text, slot_kind text, level int)`);
    expect((await refused(c)).message).toBe(
      `watermark store postgres: table ${c.table} (watermark.config.table): is not a Signatory TS watermark table: needs level bigint, round bigint, digest bytea, signature text, updated_at timestamp with time zone (found: chain_id text, pkh text, slot_kind text, level integer); choose another table name, or create it with the SQL in docs/watermarks.md`,
    );
  });

  it('refuses a table without the unique key the upsert needs', async () => {
    const c = config();
    await openStore(c);
    await pg.sql(`ALTER TABLE ${c.table} DROP CONSTRAINT ${c.table}_pkey`);
    expect((await refused(c)).message).toMatch(/has no primary key or unique index on \(chain_id, pkh, slot_kind\)/);
  });

  it('works for a role with only SELECT, INSERT, UPDATE on an existing table, and names missing grants', async () => {
    const c = config();
    await openStore(c);
    await pg.sql(`CREATE ROLE wm_user LOGIN PASSWORD 'wm-pass'`);
    await pg.sql(`GRANT SELECT, INSERT ON ${c.table} TO wm_user`);
    const url = `postgres://wm_user@127.0.0.1:${pg.port}/postgres`;
    expect((await refused({ ...c, url, password: 'wm-pass' })).message).toBe(
      `watermark store postgres: table ${c.table} (watermark.config.table): this role lacks UPDATE: GRANT SELECT, INSERT, UPDATE, DELETE ON ${c.table} TO <the signer's role>`,
    );
    await pg.sql(`GRANT UPDATE ON ${c.table} TO wm_user`);
    const store = await openStore({ ...c, url, password: 'wm-pass' });
    expect(await store.commit(block, mark(3, 0, 'role', 'sig-role'))).toEqual({ status: 'committed' });
  });

  it('refuses a read-only server: a hot standby, and default_transaction_read_only', async () => {
    const c = config();
    await openStore(c);
    await pg.pause();
    await pg.resume({ standby: true });
    try {
      expect((await refused(c)).message).toBe(
        'watermark store postgres: the server is a read-only standby (in recovery): point watermark.config.url (or PGHOST) at the primary',
      );
    } finally {
      await pg.pause();
      await pg.resume();
    }
    await pg.sql('ALTER SYSTEM SET default_transaction_read_only = on');
    await pg.sql('SELECT pg_reload_conf()');
    try {
      expect((await refused(c)).message).toMatch(/only accepts read-only transactions \(default_transaction_read_only is on\)/);
    } finally {
      await pg.sql('ALTER SYSTEM RESET default_transaction_read_only');
      await pg.sql('SELECT pg_reload_conf()');
    }
  });

  it('warns when synchronous_commit is off', async () => {
    await pg.sql('ALTER SYSTEM SET synchronous_commit = off');
    await pg.sql('SELECT pg_reload_conf()');
    const warnings: string[] = [];
    try {
      await openStore(config(), undefined, (m) => warnings.push(m));
    } finally {
      await pg.sql('ALTER SYSTEM RESET synchronous_commit');
      await pg.sql('SELECT pg_reload_conf()');
    }
    expect(warnings).toEqual([expect.stringMatching(/^watermark store postgres: synchronous_commit is off on the server/)]);
  });

  it('refuses an unreadable CA file, naming ssl.ca_file', async () => {
    const e = await refused(config({ ssl: { caFile: '/nonexistent/ca.pem' } }));
    expect(e.message).toMatch(/watermark.config.ssl.ca_file \/nonexistent\/ca.pem cannot be read \(ENOENT\)/);
  });
});
