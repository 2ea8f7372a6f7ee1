import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { isAlive, startPostgres, type PostgresServer } from '../src';

jest.setTimeout(60_000);

async function waitUntil(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

describe('startPostgres', () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('serves a real PostgreSQL on 127.0.0.1 with the password it returns', async () => {
    expect(pg.url).toBe(`postgres://postgres:${pg.password}@127.0.0.1:${pg.port}/postgres`);
    const [row] = await pg.sql<{ v: string; addr: string }>('SELECT version() AS v, inet_server_addr()::text AS addr');
    expect(row!.v).toMatch(/^PostgreSQL \d+/);
    expect(row!.addr).toBe('127.0.0.1/32');
    const wrong = new Client({ host: pg.host, port: pg.port, user: pg.user, password: 'wrong', database: 'postgres' });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    await wrong.end().catch(() => undefined);
  });

  it('keeps its data across pause and resume, and resumes as a read-only standby on request', async () => {
    await pg.sql('CREATE TABLE kept (n int)');
    await pg.sql('INSERT INTO kept VALUES (42)');
    const pid = pg.pid!;
    await pg.pause();
    expect(pg.pid).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(pg.sql('SELECT 1')).rejects.toThrow(/ECONNREFUSED/);

    await pg.resume({ standby: true });
    expect(await pg.sql('SELECT pg_is_in_recovery() AS r, n FROM kept')).toEqual([{ r: true, n: 42 }]);
    await expect(pg.sql('INSERT INTO kept VALUES (1)')).rejects.toThrow(/read-only transaction/);

    await pg.pause();
    await pg.resume();
    expect(await pg.sql('SELECT pg_is_in_recovery() AS r, n FROM kept')).toEqual([{ r: false, n: 42 }]);
  });

  it('stop() ends the server and removes its directory', async () => {
    const other = await startPostgres({ durable: false });
    const pid = other.pid!;
    const [{ data_directory: dir }] = (await other.sql<{ data_directory: string }>('SHOW data_directory')) as [{ data_directory: string }];
    expect(fs.existsSync(dir)).toBe(true);
    await other.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('kills the server and removes its directory when the process that started it exits without stop()', async () => {
    // dist/: run `npx turbo run build --filter=@signatory-ts/dev-servers` first
    const script = `require(${JSON.stringify(path.resolve(__dirname, '../dist'))}).startPostgres({ durable: false }).then(async (pg) => {
      const [{ data_directory }] = await pg.sql('SHOW data_directory');
      console.log(JSON.stringify({ pid: pg.pid, dir: data_directory }));
      process.exit(0);
    });`;
    const { pid, dir } = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { pid: number; dir: string };
    expect(fs.existsSync(path.dirname(dir))).toBe(false);
    // SIGKILL was sent as the process exited; the kernel ends the server a moment later
    await waitUntil(() => !isAlive(pid));
  });
});
