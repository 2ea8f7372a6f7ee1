import { AwsKmsVault } from '@signatory-ts/vault-awskms';
import type { OpenVault } from './deps';

export interface KmsTuning {
  /** Attempt timeout (ms); undefined: what the deadline has left, at most 10 s (the vault default). */
  readonly attemptTimeoutMs?: number;
  /** Sockets the KMS client may open (default 50). */
  readonly maxSockets?: number;
}

/**
 * `driver: awskms` -> AwsKmsVault. `kmsDeadlineMs` bounds one KMS operation, retries included
 * (throttling is retried with backoff inside it, an attempt cut by the attempt timeout is retried).
 */
export function awsKmsOpener(kmsDeadlineMs: number, log: (m: string) => void, tuning: KmsTuning = {}): OpenVault {
  return (_name, vc) =>
    new AwsKmsVault({
      ...vc.config,
      deadlineMs: kmsDeadlineMs,
      ...(tuning.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: tuning.attemptTimeoutMs } : {}),
      ...(tuning.maxSockets !== undefined ? { maxSockets: tuning.maxSockets } : {}),
      log,
    });
}
