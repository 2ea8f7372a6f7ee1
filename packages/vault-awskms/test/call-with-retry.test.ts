/**
 * callWithRetry keeps the call's one deadline by itself: an attempt that ignores its abort signal is
 * given up at the cut, so the vault's sign() settles without a second deadline around it.
 */
import { callWithRetry } from '../src/call-with-retry';
import { KmsCallFailed } from '../src/kms-failure';

const ctx = { operation: 'Sign', keyId: 'arn:aws:kms:us-east-1:1:key/k', endpoint: 'http://127.0.0.1:1' };
const retry = { deadlineMs: 1000, attemptTimeoutMs: 100, baseDelayMs: 10, maxDelayMs: 20 };
/** An attempt that never settles and never looks at its signal. */
const deaf = (): Promise<never> => new Promise<never>(() => undefined);

describe('callWithRetry', () => {
  it('settles at the deadline when attempts ignore their abort signal, naming the cut', async () => {
    const signals: AbortSignal[] = [];
    // a deadline of 30 attempt timeouts: a first cut firing late on a loaded machine still leaves time for a retry
    const failure = await callWithRetry(ctx, { ...retry, deadlineMs: 3000 }, (signal) => (signals.push(signal), deaf())).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(KmsCallFailed);
    expect((failure as KmsCallFailed).timing).toMatchObject({ timedOut: true, attempts: signals.length });
    expect(signals.length).toBeGreaterThan(1); // cut attempts were retried while the deadline left time
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('when time runs out after KMS answered with throttling, the failure names the throttling, not the last cut', async () => {
    let calls = 0;
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const failure = await callWithRetry(ctx, retry, () => (++calls === 1 ? Promise.reject(throttled) : deaf())).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(KmsCallFailed);
    expect((failure as KmsCallFailed).lastError).toBe(throttled);
    expect((failure as KmsCallFailed).message).toMatch(/^KMS kept throttling Sign after \d+ attempts/);
    expect(calls).toBeGreaterThan(1);
  });

  it('a cut attempt that answers later is not used: the retry’s answer is', async () => {
    let lateAnswer: ((v: string) => void) | undefined;
    const answer = await callWithRetry(ctx, { ...retry, deadlineMs: 60_000 }, (signal) => {
      if (lateAnswer === undefined) return new Promise<string>((resolve) => (lateAnswer = resolve)); // deaf to `signal`
      expect(signal.aborted).toBe(false);
      lateAnswer('late'); // the first attempt answers only now, after it was given up
      return Promise.resolve('retry');
    });
    expect(answer).toBe('retry');
  });
});
