import { SignatoryError } from '@signatory-ts/core';

/**
 * Runs `call` with a deadline. On expiry the promise rejects with vault_unavailable; a late answer
 * from the vault is dropped (its signature is never released, and nothing was persisted for it).
 */
export function withDeadline<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return call;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SignatoryError('vault_unavailable', `${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}
