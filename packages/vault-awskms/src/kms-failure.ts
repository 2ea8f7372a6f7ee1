import { SignatoryError } from '@signatory-ts/core';

/** What was being done when KMS failed, for messages. */
export interface KmsCallContext {
  /** KMS operation, e.g. Sign */
  readonly operation: string;
  /** key id / ARN / alias, when the call was about one key */
  readonly keyId?: string;
  readonly region?: string;
  readonly endpoint?: string;
}

/** How a call with retries ended, for messages. */
export interface KmsCallTiming {
  readonly attempts: number;
  readonly elapsedMs: number;
  /** The deadline ran out (or would have before the next retry). */
  readonly timedOut: boolean;
  readonly deadlineMs?: number;
  /** Set when the last attempt got no answer at all and was aborted after this many ms. */
  readonly noAnswerMs?: number;
}

/** A KMS call that failed for good: the last error, how many attempts, and whether time ran out. */
export class KmsCallFailed extends Error {
  override readonly name = 'KmsCallFailed';
  constructor(
    readonly context: KmsCallContext,
    readonly lastError: unknown,
    readonly timing: KmsCallTiming,
  ) {
    super(explainKmsFailure(context, lastError, timing), { cause: lastError });
  }
}

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);
/** KMS errors that may succeed when tried again (model docs), plus throttling. LimitExceededException is a resource quota: never retried. */
const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'DependencyTimeoutException',
  'KMSInternalException',
  'KeyUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalFailure',
  'ServiceUnavailable',
]);

function errorName(e: unknown): string {
  const err = e as AwsError;
  return err?.code && NETWORK_CODES.has(err.code) ? err.code : (err?.name ?? 'Error');
}

export function isNetworkError(e: unknown): boolean {
  const err = e as AwsError;
  return (err?.code !== undefined && NETWORK_CODES.has(err.code)) || /socket hang up|ECONNREFUSED|ECONNRESET/.test(err?.message ?? '');
}

/** True for throttling, KMS-side transient errors, 5xx answers, timeouts and network failures. */
export function isRetryable(e: unknown): boolean {
  const err = e as AwsError;
  if (RETRYABLE_NAMES.has(err?.name ?? '')) return true;
  if ((err?.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return isNetworkError(e);
}

/**
 * One sentence per failure, saying what to fix. Never includes credentials. Used both as the
 * reason a key is skipped by `list` and in the SignatoryError a sign fails with.
 */
export function explainKmsFailure(ctx: KmsCallContext, e: unknown, info?: KmsCallTiming): string {
  const err = e as AwsError;
  const name = errorName(e);
  const aws = err?.message ? ` (${name}: ${err.message})` : ` (${name})`;
  const key = ctx.keyId ?? 'the key';
  const region = ctx.region ? ` in region ${ctx.region}` : '';
  const tries = info && info.attempts > 1 ? ` after ${info.attempts} attempts over ${info.elapsedMs} ms` : '';
  switch (name) {
    case 'AccessDeniedException':
      return `access denied: the AWS identity lacks kms:${ctx.operation} on ${key}; grant it in the key policy or IAM policy${aws}`;
    case 'NotFoundException':
      return `${key} was not found${region}: check the key id or alias, the region and the account${aws}`;
    case 'DisabledException':
      return `${key} is disabled: enable it (aws kms enable-key --key-id ${key}) or remove it from the configuration${aws}`;
    case 'KMSInvalidStateException':
      if (/pending ?deletion/i.test(err.message ?? ''))
        return `${key} is pending deletion: cancel it (aws kms cancel-key-deletion) to use it${aws}`;
      if (/pending ?import/i.test(err.message ?? '')) return `${key} is waiting for its key material to be imported${aws}`;
      return `${key} is not usable in its current state${aws}`;
    case 'UnsupportedOperationException':
      return `${key} has no public key (a symmetric or HMAC key), so it cannot be a Tezos key${aws}`;
    case 'InvalidKeyUsageException':
      return `${key} is not a SIGN_VERIFY key${aws}`;
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'IncompleteSignatureException':
    case 'MissingAuthenticationTokenException':
    case 'ExpiredTokenException':
    case 'InvalidClientTokenId':
      return `AWS rejected the credentials: check access_key_id, secret_access_key and session_token (or the SDK credential chain)${aws}`;
    case 'CredentialsProviderError':
      return `no AWS credentials found: set access_key_id and secret_access_key in the vault config, or provide them through the AWS SDK chain (environment, profile, role)${aws}`;
    case 'ThrottlingException':
      return `KMS kept throttling ${ctx.operation}${tries}: lower the request rate or raise the KMS quota${aws}`;
    default:
      break;
  }
  if (/region is missing/i.test(err?.message ?? '')) return `no AWS region: set region in the vault config or AWS_REGION${aws}`;
  const at = ctx.endpoint ? ` at ${ctx.endpoint}` : '';
  if (info?.noAnswerMs !== undefined) {
    const deadline = info.deadlineMs !== undefined ? `; deadline ${info.deadlineMs} ms` : '';
    const what =
      info.attempts > 1
        ? `got no answer in ${info.attempts} attempts over ${info.elapsedMs} ms (the last one cut after ${info.noAnswerMs} ms${deadline})`
        : `got no answer within ${info.noAnswerMs} ms${deadline ? ` (${deadline.slice(2)})` : ''}`;
    return `KMS ${ctx.operation} ${what}${at}: KMS is slower than that or unreachable; if it is only slow, raise --kms-attempt-timeout-ms and --kms-deadline-ms, else check the endpoint, network and region`;
  }
  if (info?.timedOut) {
    return `KMS ${ctx.operation} did not succeed within ${info.elapsedMs} ms${tries ? ` (${info.attempts} attempts)` : ''}${at}: check the endpoint, network and region${aws}`;
  }
  if (isNetworkError(e)) {
    return `KMS endpoint ${ctx.endpoint ?? `for${region}`} is unreachable${tries}: check endpoint, region and network${aws}`;
  }
  return `KMS ${ctx.operation} failed${tries}${ctx.keyId ? ` for ${ctx.keyId}` : ''}${aws}`;
}

/** The SignatoryError for a failed call: config problems are config_invalid, the rest vault_unavailable. */
export function toSignatoryError(failure: KmsCallFailed): SignatoryError {
  const name = errorName(failure.lastError);
  const configProblem = name === 'CredentialsProviderError' || /region is missing/i.test((failure.lastError as AwsError)?.message ?? '');
  return new SignatoryError(configProblem ? 'config_invalid' : 'vault_unavailable', failure.message, { cause: failure.lastError });
}
