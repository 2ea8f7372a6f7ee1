import { escapeIdentifier, Pool, type PoolClient } from 'pg';
import type { PostgresWatermarkConfig } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';
import { postgresPoolConfig } from '@signatory-ts/watermark';
import { DocumentLedger, type Change } from './document-ledger';
import { emptyDocument, formatDocument, parseDocument, type LedgerDocument } from './ledger-document';
import { SpendOutcomeUnknownError } from './spend-ledger';

/**
 * The connection settings of `watermark: driver: postgres` (the PostgreSQL watermark store's
 * config) with `table` naming the ledger's own table (openSpendLedger passes `<watermark table>_spend`).
 */
export type PostgresLedgerConfig = PostgresWatermarkConfig;

/** docs/policy.md prints the same statement for operators who create the table themselves. */
export const createLedgerTableSql = (ident: string): string => `CREATE TABLE IF NOT EXISTS ${ident} (
  pkh        text        PRIMARY KEY,
  ledger     text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * The PostgreSQL ledger: one row per key holding its ledger document. An update is one short
 * transaction on one connection: an upsert that creates the key's row or locks it and returns its
 * latest committed ledger (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, which in READ COMMITTED
 * waits for a concurrent holder and then sees its commit), the change computed here, one UPDATE,
 * COMMIT. Every signer on the database is thus serialised per key, with no retry loop. A single
 * statement cannot do it: the sums over the windows would be read from the statement's snapshot,
 * taken before the row lock is granted, and miss the reservation committed by the signer it waited for.
 * No lock is held across the vault call. A failed statement rolls back (nothing recorded) and is
 * thrown naming the table and the cause; a dead connection's transaction is rolled back by the server.
 */
export class PostgresSpendLedger extends DocumentLedger {
  readonly name = 'postgres';
  readonly table: string;
  private readonly ident: string;

  private constructor(
    private readonly pool: Pool,
    table: string,
  ) {
    super();
    this.table = table;
    this.ident = table.split('.').map(escapeIdentifier).join('.');
    // an idle connection the server ends must not crash the process; the next statement reports it
    pool.on('error', () => undefined);
  }

  /** Connects, creates (create_table) or checks the table; a failure is a start-up error saying what to fix. */
  static async open(config: PostgresLedgerConfig): Promise<PostgresSpendLedger> {
    const pool = new Pool(postgresPoolConfig(config, 'spend ledger postgres'));
    const ledger = new PostgresSpendLedger(pool, config.table);
    try {
      await ledger.checkTable(config.createTable);
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return ledger;
  }

  protected async load(key: string): Promise<LedgerDocument> {
    const rows = await this.run('read', (c) => c.query<{ ledger: string }>(`SELECT ledger FROM ${this.ident} WHERE pkh = $1`, [key]));
    return rows.rows[0] === undefined ? emptyDocument() : parseDocument(rows.rows[0].ledger, `row ${key} of table ${this.table}`);
  }

  protected async update<T>(key: string, change: (doc: LedgerDocument) => Change<T>): Promise<T> {
    return this.run('update', async (c) => {
      // the locking upsert below relies on READ COMMITTED, whatever the role's or database's default
      await c.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      try {
        const { rows } = await c.query<{ ledger: string }>(
          `INSERT INTO ${this.ident} AS s (pkh, ledger) VALUES ($1, $2)
           ON CONFLICT (pkh) DO UPDATE SET updated_at = s.updated_at
           RETURNING s.ledger`,
          [key, formatDocument(emptyDocument())],
        );
        const doc = parseDocument(rows[0]!.ledger, `row ${key} of table ${this.table}`);
        const { result, write } = change(doc);
        if (write) await c.query(`UPDATE ${this.ident} SET ledger = $2, updated_at = now() WHERE pkh = $1`, [key, formatDocument(doc)]);
        if (!write) return (await c.query('ROLLBACK'), result);
        try {
          await c.query('COMMIT');
        } catch (e) {
          // the server's own refusal (a SQLSTATE, not a socket error's code such as ECONNRESET): not committed
          if (/^[0-9A-Z]{5}$/.test(String((e as { code?: unknown }).code))) throw e;
          // no answer to COMMIT (a connection lost): the server may have committed all the same
          throw new SpendOutcomeUnknownError(
            'internal',
            `spend ledger postgres (table ${this.table}): update failed at COMMIT: ${describe(e)}; the change may still have been committed`,
            { cause: e },
          );
        }
        return result;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined); // a dead connection: the server rolls it back
        throw e;
      }
    });
  }

  /** Ends the pool; harmless to repeat. */
  async close(): Promise<void> {
    if (this.pool.ended) return;
    await this.pool.end();
  }

  /** Runs `fn` on a connection of the pool; a database failure becomes an error naming the table and the cause. */
  private async run<T>(what: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.failure(what, e);
    }
    let broken: unknown;
    // a checked-out client has no listener of the pool's: a connection that dies now (server restart,
    // pg_terminate_backend) would emit an 'error' nobody handles, which ends the process
    const onError = (e: Error) => (broken ??= e);
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (e) {
      if (!(e instanceof SignatoryError) || e.cause !== undefined) broken ??= e; // a failure with a cause came from the connection
      throw e instanceof SignatoryError ? e : this.failure(what, e);
    } finally {
      client.off('error', onError);
      // a connection whose statement failed may be in any state: drop it rather than reuse it
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  private failure(what: string, e: unknown): SignatoryError {
    return new SignatoryError(
      'internal',
      `spend ledger postgres (table ${this.table}): ${what} failed: ${describe(e)}; nothing was reserved or signed`,
      {
        cause: e,
      },
    );
  }

  private async checkTable(create: boolean): Promise<void> {
    const where = `spend ledger postgres: table ${this.table} (watermark.config.table + "_spend")`;
    const query = async <R extends object>(text: string, values: unknown[] = []): Promise<R[]> => {
      try {
        return (await this.pool.query<R>(text, values)).rows;
      } catch (e) {
        throw new SignatoryError('config_invalid', `${where}: cannot be checked: ${describe(e)}`, { cause: e });
      }
    };
    const exists = async () => (await query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [this.ident]))[0]!.ok;
    if (!(await exists())) {
      if (!create) {
        throw new SignatoryError(
          'config_invalid',
          `${where}: does not exist: create it with the SQL in docs/policy.md, or set watermark.config.create_table: true`,
        );
      }
      try {
        await this.pool.query(createLedgerTableSql(this.ident));
      } catch (e) {
        // another signer may have created it at the same moment: fine when it is there now
        if (!(await exists())) {
          throw new SignatoryError(
            'config_invalid',
            `${where}: does not exist and cannot be created: ${describe(e)}; create it with the SQL in docs/policy.md`,
            {
              cause: e,
            },
          );
        }
      }
    }
    const columns = await query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
      [this.ident],
    );
    const found = new Map(columns.map((c) => [c.name, c.type]));
    const unique = await query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indnkeyatts = 1 AND a.attname = 'pkh') AS ok`,
      [this.ident],
    );
    if (
      found.get('pkh') !== 'text' ||
      found.get('ledger') !== 'text' ||
      found.get('updated_at') !== 'timestamp with time zone' ||
      !unique[0]!.ok
    ) {
      throw new SignatoryError(
        'config_invalid',
        `${where}: is not a spend ledger table (it needs pkh text with a unique key, ledger text, updated_at timestamptz; found ${
          columns.map((c) => `${c.name} ${c.type}`).join(', ') || 'no columns'
        }): choose another watermark.config.table, or drop that table`,
      );
    }
  }
}

/** node-postgres' message (never the password), with the SQLSTATE or errno; each address's reason for a failed connection. */
function describe(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return [...new Set(e.errors.map(describe))].join('; ');
  const err = e as { message?: string; code?: string };
  const message = err.message !== undefined && err.message !== '' ? err.message : String(err.code ?? e);
  return typeof err.code === 'string' && !message.includes(err.code) ? `${message} (${err.code})` : message;
}
