import { createServer, connect, type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { startPostgres, type PostgresServer } from '@signatory-ts/dev-servers';
import { openSpendLedger, PostgresSpendLedger, type PostgresLedgerConfig, type SpendLedger } from '../src';
import { CAPS, describeSpendLedger, KEY, T0, TZ } from './ledger-conformance';

jest.setTimeout(120_000);

let pg: PostgresServer;
let tables = 0;
const open: SpendLedger[] = [];

beforeAll(async () => {
  pg = await startPostgres({ durable: false });
});
afterAll(async () => {
  await Promise.all(open.map((l) => l.close().catch(() => undefined)));
  await pg?.stop();
});

const config = (overrides: Partial<PostgresLedgerConfig> = {}): PostgresLedgerConfig => ({
  url: pg.url,
  table: `spend_${++tables}`,
  createTable: true,
  poolMax: 10,
  // bounds the connection (a SCRAM login costs CPU) as well as each statement: generous for calls that must succeed
  statementTimeoutMs: 30_000,
  ...overrides,
});
const openLedger = async (c: PostgresLedgerConfig) => {
  const l = await PostgresSpendLedger.open(c);
  open.push(l);
  return l;
};

// a fresh table per test; reopen: another instance with its own pool (a restart, or another replica)
describeSpendLedger('PostgresSpendLedger', {
  open: () => openLedger(config()),
  reopen: (ledger) => openLedger({ ...config(), table: (ledger as PostgresSpendLedger).table }),
});

describe('PostgresSpendLedger on a real PostgreSQL', () => {
  it('three replicas with small pools, 60 concurrent reservations over three keys: no key ever exceeds its cap', async () => {
    const c = config({ poolMax: 3 });
    const replicas = [await openLedger(c), await openLedger(c), await openLedger(c)];
    const keys = [KEY, 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK', 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q'];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        replicas[i % 3]!.reserve(keys[i % 3]!, 45n * TZ, CAPS, T0 + i).then((r) => ({ key: keys[i % 3]!, ok: r.ok })),
      ),
    );
    for (const key of keys) {
      expect(results.filter((x) => x.key === key && x.ok)).toHaveLength(4); // 4 × 45 = 180 tz; a 5th would make 225
      expect((await replicas[1]!.show(key, CAPS, T0 + 100))[0]!.spent).toBe(180n * TZ);
    }
    expect(await pg.sql(`SELECT count(*)::int AS n FROM ${c.table}`)).toEqual([{ n: 3 }]);
  });

  it('a server outage refuses (throws, naming the table), and the ledger is intact when the server is back', async () => {
    const ledger = await openLedger(config());
    expect((await ledger.reserve(KEY, 100n * TZ, CAPS, T0)).ok).toBe(true);
    await pg.pause();
    try {
      await expect(ledger.reserve(KEY, TZ, CAPS, T0 + 1)).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringMatching(/^spend ledger postgres \(table spend_\d+\): update failed: .+; nothing was reserved or signed$/),
      });
    } finally {
      await pg.resume();
    }
    expect((await ledger.show(KEY, CAPS, T0 + 2))[0]!.spent).toBe(100n * TZ);
    expect((await ledger.reserve(KEY, 100n * TZ, CAPS, T0 + 3)).ok).toBe(true);
  });

  it('a COMMIT applied whose answer is lost (connection closed or reset): nothing signed, the reservation given back, the message says so', async () => {
    // a TCP proxy that, once armed, passes a COMMIT to the server and cuts the connection before the answer comes back
    let armed = false;
    let reset = false;
    const proxy = createServer((client) => {
      const server = connect(Number(new URL(pg.url).port), '127.0.0.1');
      let cut = false;
      client.on('data', (chunk: Buffer) => {
        if (armed && chunk[0] === 0x51 && chunk.includes('COMMIT\0')) [cut, armed] = [true, false]; // a simple-query 'Q' message, once
        server.write(chunk);
      });
      server.on('data', (chunk: Buffer) =>
        cut ? (reset ? client.resetAndDestroy() : client.destroy(), server.destroy()) : client.write(chunk),
      );
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = new URL(pg.url);
    url.port = String((proxy.address() as AddressInfo).port);
    try {
      const c = config({ poolMax: 1 });
      await openLedger(c); // creates the table straight
      const ledger = await openLedger({ ...c, url: url.toString(), createTable: false });
      for (const how of ['closed', 'reset'] as const) {
        [armed, reset] = [true, how === 'reset'];
        const err = await ledger.reserve(KEY, 7n * TZ, CAPS, T0).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(err?.message).toMatch(
          /^spend ledger postgres \(table spend_\d+\): update failed at COMMIT: .+; the change may still have been committed\. Nothing was signed on that reservation; it had been written and was given back$/,
        );
        expect((await ledger.show(KEY, CAPS, T0))[0]!.spent).toBe(0n);
      }
      expect((await ledger.reserve(KEY, TZ, CAPS, T0 + 1)).ok).toBe(true); // the lost connection was not reused
    } finally {
      proxy.close();
    }
  });

  it('its connection killed in the middle of a reservation: refused (throws, naming the table), the process goes on, the next one works', async () => {
    const c = config();
    const ledger = await openLedger(c);
    expect((await ledger.reserve(KEY, TZ, CAPS, T0)).ok).toBe(true);
    // a superuser transaction holds the key's row, so the reservation waits on its lock; then its session is killed
    const hold = new Client({ connectionString: pg.url });
    await hold.connect();
    await hold.query('BEGIN');
    try {
      await hold.query(`SELECT 1 FROM ${c.table} WHERE pkh = $1 FOR UPDATE`, [KEY]);
      const reserving = ledger.reserve(KEY, TZ, CAPS, T0 + 1);
      const waiting = `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%${c.table}%'`;
      while ((await pg.sql(waiting)).length === 0) await new Promise((r) => setImmediate(r));
      await pg.sql(`SELECT pg_terminate_backend(pid) FROM (${waiting}) w`);
      await expect(reserving).rejects.toMatchObject({
        message: expect.stringMatching(/^spend ledger postgres \(table spend_\d+\): update failed: /),
      });
    } finally {
      await hold.query('ROLLBACK');
      await hold.end();
    }
    expect((await ledger.reserve(KEY, TZ, CAPS, T0 + 2)).ok).toBe(true);
    expect((await ledger.show(KEY, CAPS, T0 + 3))[0]!.spent).toBe(2n * TZ);
  });

  it('a malformed ledger row refuses, naming the row, and is left as it is', async () => {
    const c = config();
    const ledger = await openLedger(c);
    await pg.sql(`INSERT INTO ${c.table} (pkh, ledger) VALUES ($1, '{"v":3}')`, [KEY]);
    await expect(ledger.reserve(KEY, TZ, CAPS, T0)).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining(`spend ledger row ${KEY} of table ${c.table} is unreadable (not a version 1 or 2 ledger)`),
    });
    expect(await pg.sql(`SELECT ledger FROM ${c.table}`)).toEqual([{ ledger: '{"v":3}' }]);
  });

  it('a table of another shape, or a missing table with create_table off, stops the start with what to do', async () => {
    await pg.sql('CREATE TABLE not_a_ledger (pkh text, amount bigint)');
    await expect(PostgresSpendLedger.open(config({ table: 'not_a_ledger' }))).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining(
        'is not a spend ledger table (it needs pkh text with a unique key, ledger text, updated_at timestamptz; found pkh text, amount bigint)',
      ),
    });
    await expect(PostgresSpendLedger.open(config({ createTable: false }))).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringMatching(
        /table spend_\d+ .*: does not exist: create it with the SQL in docs\/policy\.md, or set watermark\.config\.create_table: true/,
      ),
    });
  });

  it('openSpendLedger follows driver postgres: the watermark table name plus _spend', async () => {
    const watermark = { driver: 'postgres', postgres: { ...config(), table: 'signatory_watermark' } };
    const ledger = await openSpendLedger({ baseDir: '/nonexistent', watermark: watermark as never });
    open.push(ledger);
    expect((ledger as PostgresSpendLedger).table).toBe('signatory_watermark_spend');
    expect(await pg.sql(`SELECT to_regclass('signatory_watermark_spend') IS NOT NULL AS ok`)).toEqual([{ ok: true }]);
  });
});
