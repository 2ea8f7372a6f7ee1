import { SignatoryError } from '@signatory-ts/core';

/**
 * Runs `call` with a deadline. On expiry the promise rejects with vault_unavailable and `message`;
 * a late answer is dropped (a signature in it is never released, and nothing was persisted for it).
 * Used for one vault call (the signer) and for a whole request (the daemon).
 */
export function withDeadline<T>(call: Promise<T>, ms: number, message: string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return call;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SignatoryError('vault_unavailable', message)), ms);
    timer.unref();
  });
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}

/**
 * Ms left until a request's absolute deadline (a `performance.now()` time, SignInput.deadline),
 * never below 0; Infinity when the request has none. Every stage of a request (spend reserve, the
 * generic lane's wait, the vault call, confirm) takes its time from this, so no stage outlives the
 * request its client is waiting for.
 */
export function msLeft(deadline: number | undefined): number {
  return deadline === undefined ? Infinity : Math.max(0, deadline - performance.now());
}
