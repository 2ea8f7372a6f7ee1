/**
 * How long one KMS attempt may take: derived from the deadline unless configured. kms-local runs in
 * this process so the test can count the Sign calls it received (its log line per answered call).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isSignatoryError } from '@signatory-ts/core';
import { startKmsLocal, type KmsLocal } from '@signatory-ts/kms-local';
import { verifySignature } from '@taquito/utils';
import { AwsKmsVault, type AwsKmsVaultOptions } from '../src';

let dir: string;
let kms: KmsLocal;
let keyArn: string;
const vaults: AwsKmsVault[] = [];
/** "Sign 200" lines: one per Sign call kms-local finished (also for calls the client gave up on). */
let signsAnswered = 0;
let onSignAnswered: (() => void) | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kms-attempt-'));
  kms = await startKmsLocal({
    dir,
    log: (line) => {
      if (line === 'Sign 200') {
        signsAnswered += 1;
        onSignAnswered?.();
      }
    },
  });
  keyArn = (await kms.createKey({ keySpec: 'ECC_NIST_EDWARDS25519' })).arn;
});
beforeEach(() => {
  signsAnswered = 0;
  kms.faults.clear();
});
afterAll(async () => {
  for (const v of vaults) await v.close();
  await kms.close();
  await rm(dir, { recursive: true, force: true });
});

function vault(opts: Partial<AwsKmsVaultOptions>) {
  const v = new AwsKmsVault({ region: 'us-east-1', endpoint: kms.url, accessKeyId: 'AKIDTEST', secretAccessKey: 'x', ...opts });
  vaults.push(v);
  return v;
}

/** The error a signing that must fail fails with. */
const failure = (signing: Promise<unknown>): Promise<Error> =>
  signing.then(
    () => new Error('signed'),
    (e: Error) => e,
  );

/** Resolves once kms-local has answered `n` Sign calls in this test. */
function signsAnsweredReach(n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (signsAnswered >= n) {
        onSignAnswered = undefined;
        resolve();
      }
    };
    onSignAnswered = check;
    check();
  });
}

describe('attempt timeout', () => {
  // the latencies below stay 1.5-2 s under the attempt timeout that must not cut them: a loaded machine's
  // slow requests and late timers fit in that margin (the cut is a timer, the answer is network and parsing)
  it('by default an attempt may use half the deadline: a KMS answering after 4.5 s within a 12 s deadline signs with one Sign call', async () => {
    const key = await vault({ deadlineMs: 12_000 }).key(keyArn);
    kms.faults.setLatency(4500, 'Sign'); // above a third of the deadline, and above 3 s
    const sig = await key.sign(Buffer.from('03a1', 'hex'));
    expect(verifySignature('03a1', key.publicKey, sig)).toBe(true);
    expect(signsAnswered).toBe(1);
  });

  it('a configured attempt timeout longer than the latency signs with one Sign call', async () => {
    // the default (half the deadline, 3 s) would cut the 3.5 s answer and try again
    const key = await vault({ deadlineMs: 6000, attemptTimeoutMs: 5500 }).key(keyArn);
    kms.faults.setLatency(3500, 'Sign');
    const sig = await key.sign(Buffer.from('03a2', 'hex'));
    expect(verifySignature('03a2', key.publicKey, sig)).toBe(true);
    expect(signsAnswered).toBe(1);
  });

  // kms-local runs in this process: its answer, a timer set after the cut's, cannot come before the cut. The cut
  // leaves each attempt 2 s to reach kms-local, so the calls counted below all arrive there on a loaded machine too
  it('a KMS slower than the deadline fails with one Sign call and a message that says KMS did not answer in time', async () => {
    const key = await vault({ deadlineMs: 2000, attemptTimeoutMs: 2000 }).key(keyArn);
    kms.faults.setLatency(2500, 'Sign');
    const err = await failure(key.sign(Buffer.from('03a3', 'hex')));
    expect(isSignatoryError(err) && err.code).toBe('vault_unavailable');
    expect(err.message).toMatch(
      /^KMS Sign got no answer within 2000 ms \(deadline 2000 ms\) at http:\/\/127\.0\.0\.1:\d+: KMS is slower than that/,
    );
    expect(err.message).toMatch(/raise --kms-attempt-timeout-ms and --kms-deadline-ms/);
    await signsAnsweredReach(1); // the aborted call still completes on kms-local's side
    expect(signsAnswered).toBe(1);
  });

  it('an attempt cut by the attempt timeout is retried while the deadline leaves time, and the message says so', async () => {
    // a deadline of 2.5 attempt timeouts, so a loaded machine (timers firing late) still retries at least once
    const key = await vault({ deadlineMs: 5000, attemptTimeoutMs: 2000 }).key(keyArn);
    kms.faults.setLatency(2500, 'Sign');
    const err = await failure(key.sign(Buffer.from('03a4', 'hex')));
    const m = /^KMS Sign got no answer in (\d+) attempts over \d+ ms \(the last one cut after \d+ ms; deadline 5000 ms\)/.exec(err.message);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(2);
    // the first two attempts reached kms-local (each had 2 s to); a last one cut short may not have
    await signsAnsweredReach(2);
  });
});
