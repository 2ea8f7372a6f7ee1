import { SignatoryError } from '@signatory-ts/core';

/**
 * What went wrong with a database call, in words: node-postgres' message, or for a connection
 * that failed on every address (an AggregateError with an empty message) each address's reason.
 * pg's messages name hosts, users and SQLSTATEs, never the password.
 */
export function describePostgresError(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) {
    return [...new Set(e.errors.map((x) => describePostgresError(x)))].join('; ');
  }
  const err = e as { message?: string; code?: string };
  const message = err.message !== undefined && err.message !== '' ? err.message : String(err.code ?? e);
  return typeof err.code === 'string' && !message.includes(err.code) ? `${message} (${err.code})` : message;
}

/** `error_type` of a failed statement (metrics): the SQLSTATE, the errno code, `timeout`, or `unknown`. */
export function postgresErrorType(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (/^[0-9A-Z]{5}$/.test(code) || /^E[A-Z]+$/.test(code))) return code;
  if (/timeout/i.test((e as Error).message ?? '')) return 'timeout';
  return 'unknown';
}

/**
 * A database failure as the signer reports it: `internal` (500), naming the store, the table and
 * the cause, never a refusal (409): the signature made for the request is dropped, not released.
 */
export function storeError(table: string, what: string, e: unknown): SignatoryError {
  return new SignatoryError(
    'internal',
    `watermark store unavailable (postgres, table ${table}): ${what} failed: ${describePostgresError(e)}; nothing was released`,
    { cause: e },
  );
}
