import { AwsKmsVault } from '@signatory-ts/vault-awskms';
import type { OpenVault } from './deps';

/**
 * `driver: awskms` -> AwsKmsVault. `kmsDeadlineMs` bounds one KMS operation, retries included
 * (throttling is retried with backoff inside it).
 */
export function awsKmsOpener(kmsDeadlineMs: number, log: (m: string) => void): OpenVault {
  return (_name, vc) => new AwsKmsVault({ ...vc.config, deadlineMs: kmsDeadlineMs, log });
}
