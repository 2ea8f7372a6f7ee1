import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable, KmsCallFailed, type KmsCallContext } from './kms-failure';

export interface RetryOptions {
  /** Total time for the call including retries; the attempt in flight is aborted when it runs out. */
  readonly deadlineMs: number;
  /**
   * Longest one attempt may take before it is aborted and tried again, if the deadline leaves
   * time. Omitted: an attempt may use all the time the deadline has left.
   */
  readonly attemptTimeoutMs?: number;
  /** First backoff; doubles per retry up to maxDelayMs, with jitter (50-100 %). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Runs `attempt` until it succeeds, fails with an error that retrying cannot fix, or the deadline
 * passes (the attempt in flight is aborted through its signal, and given up at that moment even if
 * it ignores the signal: the call settles within the deadline). An attempt cut by the attempt
 * timeout is retried while the deadline leaves time. Throws KmsCallFailed with the last error KMS
 * answered with, or the cut when no attempt got an answer.
 * Retrying a KMS Sign is safe: nothing is released until a signature verifies, and the watermark
 * is kept by the signer, not here.
 */
export async function callWithRetry<T>(
  context: KmsCallContext,
  options: RetryOptions,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const start = Date.now();
  let attempts = 0;
  /** The last error KMS answered with: when time runs out it says more than "no answer" does. */
  let answered: unknown;
  for (;;) {
    const remaining = options.deadlineMs - (Date.now() - start);
    // a backoff that overslept (a busy machine) leaves no time: no attempt with no chance of an answer
    if (answered !== undefined && remaining <= 0)
      throw new KmsCallFailed(context, answered, {
        attempts,
        elapsedMs: Date.now() - start,
        deadlineMs: options.deadlineMs,
        timedOut: true,
      });
    const cutMs = Math.max(1, Math.min(remaining, options.attemptTimeoutMs ?? Number.POSITIVE_INFINITY));
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(controller.signal.reason as Error);
      }, cutMs);
    });
    attempts += 1;
    try {
      const answer = attempt(controller.signal);
      answer.catch(() => undefined); // an attempt given up at the cut may still fail later: nobody waits for it
      return await Promise.race([answer, cut]);
    } catch (e) {
      const elapsed = Date.now() - start;
      const timing = { attempts, elapsedMs: elapsed, deadlineMs: options.deadlineMs };
      if (controller.signal.aborted) {
        // no answer within cutMs: try again only if the deadline leaves more than a retry's worth of time
        if (options.deadlineMs - elapsed <= options.baseDelayMs)
          throw answered === undefined
            ? new KmsCallFailed(context, e, { ...timing, timedOut: true, noAnswerMs: cutMs })
            : new KmsCallFailed(context, answered, { ...timing, timedOut: true });
        continue;
      }
      answered = e;
      if (!isRetryable(e)) throw new KmsCallFailed(context, e, { ...timing, timedOut: false });
      const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempts - 1)) * (0.5 + Math.random() / 2);
      if (elapsed + backoff >= options.deadlineMs) throw new KmsCallFailed(context, e, { ...timing, timedOut: true });
      await sleep(backoff);
    } finally {
      clearTimeout(timer);
    }
  }
}
