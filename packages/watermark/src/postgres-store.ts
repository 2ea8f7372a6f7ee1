import { Pool, escapeIdentifier } from 'pg';
import { compareWatermark, SignatoryError, WATERMARK_KINDS, type Mark, type Slot, type WatermarkKind } from '@signatory-ts/core';
import type { PostgresWatermarkConfig } from '@signatory-ts/config';
import { checkMark, type CommitResult, type SignedMark, type WatermarkIoObserver, type WatermarkStore } from './watermark-store';
import { ioReporter, type IoReporter } from './io-reporter';
import { describePostgresError, postgresErrorType, storeError } from './postgres-errors';
import { postgresPoolConfig } from './postgres-pool';
import { checkTable } from './postgres-table';

export interface PostgresWatermarkStoreOptions {
  readonly config: PostgresWatermarkConfig;
  /** Told of every statement with its duration and error type (Go's `watermark_io_*` metrics). */
  readonly onIo?: WatermarkIoObserver;
  /** Start-up findings that do not stop the signer (e.g. `synchronous_commit = off`). */
  readonly onWarning?: (message: string) => void;
}

interface Row {
  level: string;
  round: string;
  digest: Buffer;
  signature: string | null;
}

const MAX_INT = 2 ** 31 - 1;

/**
 * Watermarks in one PostgreSQL table, shared by every signer process that points at it (one
 * host or many): one row per slot (chain, key, slot kind), and a commit is ONE autocommitted
 * `INSERT … ON CONFLICT DO UPDATE … WHERE (stored level, round) < (new level, round)`. PostgreSQL
 * runs that upsert atomically in READ COMMITTED: the conflicting row is locked and the WHERE is
 * evaluated against its latest committed version, so of two signers racing on one (level, round)
 * exactly one gets its row back. No transaction or lock is held across the vault call: the
 * signature is made first, then committed, then released (as the file store does).
 *
 * A statement that comes back without a row was refused; the row is then read again (a fresh
 * snapshot) to tell a replay (same level, round and digest, with a signature) from a refusal.
 * Every database error is thrown as a SignatoryError `internal` naming the store, the table and
 * the cause (500, nothing released), never as `rejected`.
 */
export class PostgresWatermarkStore implements WatermarkStore {
  readonly name = 'postgres';
  readonly table: string;
  private readonly ident: string;
  private readonly observe: IoReporter;
  private checking: Promise<string | undefined> | undefined;

  private constructor(
    private readonly pool: Pool,
    table: string,
    onIo: WatermarkIoObserver | undefined,
  ) {
    this.table = table;
    this.ident = table.split('.').map(escapeIdentifier).join('.');
    this.observe = ioReporter(onIo, { backend: 'postgres', table });
    // an idle connection the server ends (restart, pg_terminate_backend) must not crash the process;
    // the pool drops it, and the next statement's failure or health() reports a server still gone
    pool.on('error', () => undefined);
  }

  /**
   * Connects, refuses a server that cannot take writes, and creates (create_table) or checks
   * the table. Every failure is a start-up error naming the config key to fix.
   */
  static async open(options: PostgresWatermarkStoreOptions): Promise<PostgresWatermarkStore> {
    const { config } = options;
    const pool = new Pool(postgresPoolConfig(config, 'watermark store postgres'));
    const store = new PostgresWatermarkStore(pool, config.table, options.onIo);
    try {
      await store.startUp(config, options.onWarning ?? (() => undefined));
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return store;
  }

  private async startUp(config: PostgresWatermarkConfig, warn: (m: string) => void): Promise<void> {
    const where = 'watermark store postgres';
    let server: { recovery: boolean; read_only: string; sync_commit: string; sync_names: string; standbys: number };
    try {
      const { rows } = await this.pool.query<typeof server>(
        `SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only,
                current_setting('synchronous_commit') AS sync_commit,
                current_setting('synchronous_standby_names') AS sync_names,
                (SELECT count(*)::int FROM pg_stat_replication) AS standbys`,
      );
      server = rows[0]!;
    } catch (e) {
      throw new SignatoryError('config_invalid', `${where}: cannot connect: ${connectHint(e)}`, { cause: e });
    }
    if (server.recovery) {
      throw new SignatoryError(
        'config_invalid',
        `${where}: the server is a read-only standby (in recovery): point watermark.config.url (or PGHOST) at the primary`,
      );
    }
    if (server.read_only === 'on') {
      throw new SignatoryError(
        'config_invalid',
        `${where}: the server only accepts read-only transactions (default_transaction_read_only is on): point watermark.config.url at a writable primary, or turn the setting off for the signer's role`,
      );
    }
    if (server.sync_commit === 'off') {
      warn(
        `${where}: synchronous_commit is off on the server: a commit is acknowledged before it is on disk, so a server crash can lose marks and allow a double signature; set synchronous_commit = on (see docs/watermarks.md)`,
      );
    } else if (server.sync_commit === 'local' && server.standbys > 0) {
      warn(
        `${where}: synchronous_commit is local and the server has ${server.standbys} standby(s): a failover can lose acknowledged marks and allow a double signature; use synchronous replication (see docs/watermarks.md)`,
      );
    } else if (server.standbys > 0 && server.sync_names.trim() === '') {
      // pg_stat_replication's sync_state is hidden from unprivileged roles; the setting is not
      warn(
        `${where}: the server has ${server.standbys} standby(s) but synchronous_standby_names is empty, so every standby is asynchronous: a failover to one can lose acknowledged marks and allow a double signature; name the standbys in synchronous_standby_names (see docs/watermarks.md)`,
      );
    }
    await checkTable(this.pool, this.table, this.ident, config.createTable);
  }

  async get(slot: Slot): Promise<Mark | undefined> {
    const row = await this.readRow(slot);
    return row === undefined ? undefined : toMark(row, this.table);
  }

  async commit(slot: Slot, next: SignedMark): Promise<CommitResult> {
    checkMark(slot, next);
    // a reset between the refused upsert and the read can leave nothing to compare with: try again
    for (let attempt = 0; attempt < 3; attempt++) {
      const created = await this.upsert(slot, next);
      if (created !== undefined) return { status: 'committed' };
      const row = await this.readRow(slot);
      if (row === undefined) continue;
      const stored = toMark(row, this.table);
      switch (compareWatermark(stored, next)) {
        case 'replay':
          return { status: 'replay', signature: stored.signature! };
        case 'reject':
          return { status: 'rejected', stored };
        case 'advance':
          continue; // lowered by a reset since the upsert: compare again
      }
    }
    throw storeError(this.table, 'commit', new Error('the slot kept changing under concurrent resets'));
  }

  /** The compare-and-set: true (created) or false (updated) when it wrote, undefined when refused. */
  private async upsert(slot: Slot, next: SignedMark): Promise<boolean | undefined> {
    const rows = await this.run<{ created: boolean }>(
      'write',
      `INSERT INTO ${this.ident} AS w (chain_id, pkh, slot_kind, level, round, digest, signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (chain_id, pkh, slot_kind) DO UPDATE
         SET level = EXCLUDED.level, round = EXCLUDED.round, digest = EXCLUDED.digest,
             signature = EXCLUDED.signature, updated_at = now()
         WHERE (w.level, w.round) < (EXCLUDED.level, EXCLUDED.round)
       RETURNING (xmax = 0) AS created`,
      [slot.chainId, slot.pkh, slot.kind, next.level, next.round, Buffer.from(next.digest), next.signature],
      'commit',
    );
    return rows[0]?.created;
  }

  private async readRow(slot: Slot): Promise<Row | undefined> {
    const rows = await this.run<Row>(
      'read',
      `SELECT level, round, digest, signature FROM ${this.ident} WHERE chain_id = $1 AND pkh = $2 AND slot_kind = $3`,
      [slot.chainId, slot.pkh, slot.kind],
      'read',
    );
    return rows[0];
  }

  async *list(): AsyncIterable<[Slot, Mark]> {
    const rows = await this.run<Row & { chain_id: string; pkh: string; slot_kind: string }>(
      'read',
      `SELECT chain_id, pkh, slot_kind, level, round, digest, signature FROM ${this.ident} ORDER BY chain_id, pkh, slot_kind`,
      [],
      'list',
    );
    for (const row of rows) {
      if (!(WATERMARK_KINDS as readonly string[]).includes(row.slot_kind)) continue; // the table's CHECK forbids it
      yield [{ chainId: row.chain_id, pkh: row.pkh, kind: row.slot_kind as WatermarkKind }, toMark(row, this.table)];
    }
  }

  async reset(slot: Slot): Promise<boolean> {
    const rows = await this.run(
      'write',
      `DELETE FROM ${this.ident} WHERE chain_id = $1 AND pkh = $2 AND slot_kind = $3 RETURNING 1`,
      [slot.chainId, slot.pkh, slot.kind],
      'reset',
    );
    return rows.length > 0;
  }

  /**
   * Undefined while the server takes writes; else why not (unreachable, a standby after a
   * failover, read-only). Asked on every call, so /healthz turns healthy as soon as it works again.
   */
  health(): Promise<string | undefined> {
    return (this.checking ??= this.probe().finally(() => (this.checking = undefined)));
  }

  private async probe(): Promise<string | undefined> {
    const why = (what: string) => `watermark store postgres (table ${this.table}): ${what}`;
    try {
      const [r] = await this.run<{ recovery: boolean; read_only: string; writable: boolean | null }>(
        'read',
        `SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only,
                CASE WHEN to_regclass($1) IS NULL THEN NULL
                     ELSE has_table_privilege($1, 'SELECT') AND has_table_privilege($1, 'INSERT') AND has_table_privilege($1, 'UPDATE') END AS writable`,
        [this.ident],
        'health check',
      );
      if (r!.recovery) return why('the server is a read-only standby (in recovery)');
      if (r!.read_only === 'on') return why('the server only accepts read-only transactions');
      if (r!.writable === null) return why('the table does not exist (dropped, or another database or search_path)');
      if (!r!.writable) return why('this role lacks SELECT, INSERT or UPDATE on the table');
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async run<R extends object>(operation: 'read' | 'write', text: string, values: unknown[], what: string): Promise<R[]> {
    const t0 = performance.now();
    try {
      const r = await this.pool.query<R>(text, values);
      const created = operation === 'write' && (r.rows[0] as { created?: boolean } | undefined)?.created === true;
      this.observe(created ? 'create' : operation, t0);
      return r.rows;
    } catch (e) {
      this.observe(operation, t0, postgresErrorType(e));
      throw storeError(this.table, what, e);
    }
  }
}

function toMark(row: Row, table: string): Mark {
  const int = (v: string, what: string) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0 || n > MAX_INT) {
      throw storeError(table, 'read', new Error(`stored ${what} ${v} is not a level or round (0 to ${MAX_INT})`));
    }
    return n;
  };
  if (row.digest.length !== 32) throw storeError(table, 'read', new Error(`stored digest has ${row.digest.length} bytes, not 32`));
  return {
    level: int(row.level, 'level'),
    round: int(row.round, 'round'),
    digest: new Uint8Array(row.digest),
    ...(row.signature !== null ? { signature: row.signature } : {}),
  };
}

/** The cause of a failed start-up connection, with what to check. */
function connectHint(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = describePostgresError(e);
  switch (code) {
    case '28P01':
    case '28000':
      return `${message}: check watermark.config.password (or PGPASSWORD) and the user in watermark.config.url`;
    case '3D000':
      return `${message}: create the database or fix its name in watermark.config.url`;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
      return `${message}: check the host and port in watermark.config.url (or PGHOST/PGPORT) and that the server runs`;
    default:
      return `${message}: check watermark.config (url, password, ssl) and that the server accepts this signer`;
  }
}
