import fs from 'node:fs';
import type { PoolConfig } from 'pg';
import type { PostgresWatermarkConfig } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';

/**
 * The pg Pool settings of a `driver: postgres` store (the watermark table, the spend ledger's table):
 * TLS with the configured CA only, the password kept out of every message, each wait and statement
 * bounded by statement_timeout_ms. `who` starts the error texts.
 */
export function postgresPoolConfig(
  config: Pick<PostgresWatermarkConfig, 'url' | 'password' | 'ssl' | 'poolMax' | 'statementTimeoutMs'>,
  who: string,
): PoolConfig {
  let ssl: PoolConfig['ssl'];
  if (config.ssl !== undefined) {
    let ca: Buffer | undefined;
    if (config.ssl.caFile !== undefined) {
      try {
        ca = fs.readFileSync(config.ssl.caFile);
      } catch (e) {
        throw new SignatoryError(
          'config_invalid',
          `${who}: watermark.config.ssl.ca_file ${config.ssl.caFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give the path of the PEM file of the CA that signed the server's certificate`,
        );
      }
    }
    ssl = { rejectUnauthorized: true, ...(ca !== undefined ? { ca } : {}) };
  }
  const timeout = config.statementTimeoutMs;
  let connection: PoolConfig;
  if (config.url === undefined) {
    connection = config.password !== undefined ? { password: config.password } : {};
  } else {
    // node-postgres lets the connection string override every other option, the password too:
    // so the password goes into the URL (in memory only; pg never prints the connection string)
    const url = new URL(config.url);
    if (config.password !== undefined) url.password = encodeURIComponent(config.password);
    connection = { connectionString: url.toString() };
  }
  return {
    ...connection,
    ...(ssl !== undefined ? { ssl } : {}),
    max: config.poolMax,
    // waiting for a connection (a new one, or a free one of the pool) and each statement are
    // bounded, server- and client-side, so a commit fails well inside the request deadline
    connectionTimeoutMillis: timeout,
    statement_timeout: timeout,
    query_timeout: timeout + 500,
    // a signer paused or cut off inside a transaction (the spend ledger's) must not hold its row lock for hours
    idle_in_transaction_session_timeout: 2 * timeout,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'signatory-ts',
  };
}
