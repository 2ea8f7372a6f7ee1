import { isRetryable, KmsCallFailed, type KmsCallContext } from './kms-failure';

export interface RetryOptions {
  /** Total time for the call including retries; each attempt is aborted when it runs out. */
  readonly deadlineMs: number;
  /** First backoff; doubles per retry up to maxDelayMs, with jitter (50-100 %). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until it succeeds, fails with an error that retrying cannot fix, or the deadline
 * passes (the attempt in flight is aborted through its signal). Throws KmsCallFailed with the
 * last error. Retrying a KMS Sign is safe: nothing is released until a signature verifies, and the
 * watermark is kept by the signer, not here.
 */
export async function callWithRetry<T>(context: KmsCallContext, options: RetryOptions, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const start = Date.now();
  let attempts = 0;
  for (;;) {
    const remaining = options.deadlineMs - (Date.now() - start);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(remaining, 1));
    attempts += 1;
    try {
      return await attempt(controller.signal);
    } catch (e) {
      const elapsed = Date.now() - start;
      if (controller.signal.aborted) throw new KmsCallFailed(context, e, attempts, elapsed, true);
      if (!isRetryable(e)) throw new KmsCallFailed(context, e, attempts, elapsed, false);
      const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempts - 1)) * (0.5 + Math.random() / 2);
      if (elapsed + backoff >= options.deadlineMs) throw new KmsCallFailed(context, e, attempts, elapsed, true);
      await sleep(backoff);
    } finally {
      clearTimeout(timer);
    }
  }
}
