import type { ConfigIssue, YamlPath } from './config-error';
import { checkSchema, POSTGRES_WATERMARK_CONFIG_SCHEMA } from './schema-check';
import type { PostgresWatermarkConfig } from './types';

interface RawPostgres {
  url?: string;
  password?: string;
  table?: string;
  ssl?: { ca_file?: string } | null;
  create_table?: boolean;
  pool_max?: number;
  statement_timeout_ms?: number;
}

export const DEFAULT_POSTGRES_TABLE = 'signatory_watermark';
const DEFAULT_POOL_MAX = 10;
const DEFAULT_STATEMENT_TIMEOUT_MS = 2000;
// 57, not PostgreSQL's 63: the spend ledger's table is `<table>_spend`, which must not be truncated into this one
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,56}$/;
/** URL query parameters that configure TLS (node-postgres reads these from the connection string). */
const SSL_PARAMS = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey'];

/**
 * `watermark.config` for `driver: postgres`. The URL may carry a password, so no message here
 * ever quotes it: they name the key and what is wrong with it.
 */
export function buildPostgresWatermark(
  raw: unknown,
  path: YamlPath,
  errors: ConfigIssue[],
  warnings: ConfigIssue[],
): PostgresWatermarkConfig | undefined {
  const before = errors.length;
  errors.push(...checkSchema(POSTGRES_WATERMARK_CONFIG_SCHEMA, raw ?? null, path));
  if (errors.length > before) return undefined;
  const c = (raw ?? {}) as RawPostgres;
  const at = (key: string, ...more: string[]) => [...path, key, ...more];

  if (c.url !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(c.url);
    } catch {
      errors.push({
        path: at('url'),
        message: 'is not a URL: write postgres://USER@HOST:PORT/DATABASE (the password under "password:", e.g. password: ${PG_PASSWORD})',
      });
    }
    if (url !== undefined) {
      if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
        errors.push({ path: at('url'), message: `must start with postgres:// or postgresql:// (got a ${url.protocol}// URL)` });
      } else if (url.password !== '') {
        if (c.password !== undefined) {
          errors.push({ path: at('url'), message: 'has a password and "password:" is set too: keep the password in "password:" only' });
        } else {
          warnings.push({
            path: at('url'),
            message: 'holds the password in plain text: move it to "password:" with an environment variable (password: ${PG_PASSWORD})',
          });
        }
      }
      const mode = url.searchParams.get('sslmode');
      if (mode === 'no-verify' || url.searchParams.has('uselibpqcompat')) {
        errors.push({
          path: at('url'),
          message: `turns off the check of the server's certificate (${mode === 'no-verify' ? 'sslmode=no-verify' : 'uselibpqcompat'}): a signer must know it talks to its database; give the CA under "ssl: {ca_file: …}" instead`,
        });
      }
      if (c.ssl !== undefined && SSL_PARAMS.some((p) => url.searchParams.has(p))) {
        errors.push({ path: at('ssl'), message: 'TLS is set both here and in the URL (ssl…= parameters): set it in one place' });
      }
    }
  }

  const table = c.table ?? DEFAULT_POSTGRES_TABLE;
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    errors.push({
      path: at('table'),
      message:
        'must be a table name or schema.table of lowercase letters, digits and _ (at most 57 each, so that `<table>_spend` fits in the 63 PostgreSQL allows; not starting with a digit)',
    });
  }
  const range = (key: 'pool_max' | 'statement_timeout_ms', value: number, min: number, max: number, why: string) => {
    if (value < min || value > max) errors.push({ path: at(key), message: `must be between ${min} and ${max} (${why})` });
  };
  const poolMax = c.pool_max ?? DEFAULT_POOL_MAX;
  range('pool_max', poolMax, 1, 1000, 'connections per signer process; mind the server’s max_connections');
  const statementTimeoutMs = c.statement_timeout_ms ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  range('statement_timeout_ms', statementTimeoutMs, 100, 60_000, 'ms; keep it well below the request deadline');

  return {
    ...(c.url !== undefined ? { url: c.url } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    table,
    ...(c.ssl !== undefined ? { ssl: c.ssl?.ca_file !== undefined ? { caFile: c.ssl.ca_file } : {} } : {}),
    createTable: c.create_table ?? true,
    poolMax,
    statementTimeoutMs,
  };
}
