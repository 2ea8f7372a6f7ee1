import type { Pool } from 'pg';
import { SignatoryError } from '@signatory-ts/core';
import { describePostgresError } from './postgres-errors';

/**
 * The watermark table: one row per slot. `signature` is NULL for a mark imported without one (a
 * Go Signatory file): such a mark is never replayed. docs/watermarks.md prints the same statement
 * for operators who create the table themselves.
 */
export function createTableSql(ident: string): string {
  return `CREATE TABLE IF NOT EXISTS ${ident} (
  chain_id   text        NOT NULL,
  pkh        text        NOT NULL,
  slot_kind  text        NOT NULL CHECK (slot_kind IN ('block', 'preattestation', 'attestation')),
  level      bigint      NOT NULL CHECK (level >= 0),
  round      bigint      NOT NULL CHECK (round >= 0),
  digest     bytea       NOT NULL CHECK (octet_length(digest) = 32),
  signature  text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, pkh, slot_kind)
)`;
}

/** Column name → type (format_type) a table must have for the store's statements. */
const COLUMNS: Readonly<Record<string, string>> = {
  chain_id: 'text',
  pkh: 'text',
  slot_kind: 'text',
  level: 'bigint',
  round: 'bigint',
  digest: 'bytea',
  signature: 'text',
  updated_at: 'timestamp with time zone',
};

/**
 * At start-up: creates the table when it is missing and `create` is set (checking first, so a
 * role without CREATE works on an existing table), then checks that it has the store's columns,
 * a unique key on (chain_id, pkh, slot_kind) for the upsert, and the privileges a commit needs.
 * Any mismatch is a config_invalid error saying what was found and what to do.
 */
export async function checkTable(pool: Pool, table: string, ident: string, create: boolean): Promise<void> {
  const where = `watermark store postgres: table ${table} (watermark.config.table)`;
  const fail = (what: string, e?: unknown): never => {
    throw new SignatoryError('config_invalid', `${where}: ${what}`, e === undefined ? undefined : { cause: e });
  };
  const query = async <R extends object>(text: string, values: unknown[] = []): Promise<R[]> => {
    try {
      return (await pool.query<R>(text, values)).rows;
    } catch (e) {
      return fail(`cannot be checked: ${describePostgresError(e)}`, e);
    }
  };
  const exists = async () => (await query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [ident]))[0]!.ok;

  if (!(await exists())) {
    if (!create) {
      fail('does not exist: create it with the SQL in docs/watermarks.md, or set watermark.config.create_table: true');
    }
    try {
      await pool.query(createTableSql(ident));
    } catch (e) {
      // another signer starting at the same moment may have created it first (PostgreSQL then
      // reports a duplicate table, type or catalog key, depending on the timing): fine, it is checked below
      if (!(await exists())) {
        fail(
          `does not exist and cannot be created: ${describePostgresError(e)}; create it with the SQL in docs/watermarks.md (as a role that may), or grant this role CREATE on the schema`,
          e,
        );
      }
    }
  }

  const columns = await query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [ident],
  );
  const found = new Map(columns.map((c) => [c.name, c.type]));
  const wrong = Object.entries(COLUMNS).filter(([name, type]) => found.get(name) !== type);
  if (wrong.length > 0) {
    const list = [...found].map(([n, t]) => `${n} ${t}`).join(', ') || 'no columns';
    fail(
      `is not a Signatory TS watermark table: needs ${wrong.map(([n, t]) => `${n} ${t}`).join(', ')} (found: ${list}); choose another table name, or create it with the SQL in docs/watermarks.md`,
    );
  }
  const [key] = await query<{ ok: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_index i
        WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
          AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
                WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = ARRAY['chain_id', 'pkh', 'slot_kind']
     ) AS ok`,
    [ident],
  );
  if (!key!.ok) {
    fail(
      'has no primary key or unique index on (chain_id, pkh, slot_kind): add PRIMARY KEY (chain_id, pkh, slot_kind) (see docs/watermarks.md)',
    );
  }
  const [grants] = await query<{ s: boolean; i: boolean; u: boolean }>(
    `SELECT has_table_privilege($1, 'SELECT') AS s, has_table_privilege($1, 'INSERT') AS i, has_table_privilege($1, 'UPDATE') AS u`,
    [ident],
  );
  const missing = [grants!.s ? '' : 'SELECT', grants!.i ? '' : 'INSERT', grants!.u ? '' : 'UPDATE'].filter(Boolean);
  if (missing.length > 0) {
    fail(`this role lacks ${missing.join(', ')}: GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO <the signer's role>`);
  }
}
