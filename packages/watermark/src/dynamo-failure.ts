import { SignatoryError } from '@signatory-ts/core';

/** Where the store talks to, for messages (never credentials). */
export interface DynamoContext {
  readonly table: string;
  readonly region?: string;
  readonly endpoint?: string;
  /** Time one call may take, retries included (ms). */
  readonly timeoutMs: number;
}

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'];
const THROTTLED = ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'];
const BAD_CREDENTIALS = [
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
];

/** The failure's type for `watermark_io_errors_total{error_type}`: the AWS error name, a network errno, or `timeout`. */
export function dynamoErrorType(e: unknown, timedOut: boolean): string {
  if (timedOut) return 'timeout';
  const err = e as AwsError;
  const network = networkCode(e);
  if (network !== undefined) return network;
  return typeof err?.name === 'string' && /^[A-Za-z]+$/.test(err.name) ? err.name : 'unknown';
}

/** Throttling, a 5xx answer or a network failure: worth another attempt while the call's time lasts. */
export function isRetryable(e: unknown): boolean {
  const err = e as AwsError;
  return THROTTLED.includes(err?.name ?? '') || (err?.$metadata?.httpStatusCode ?? 0) >= 500 || isNetworkError(e);
}

function isNetworkError(e: unknown): boolean {
  return networkCode(e) !== undefined || /socket hang up/.test((e as AwsError)?.message ?? '');
}

/** The errno of a network failure: its `code`, or the one its message names (the SDK may wrap the error). */
function networkCode(e: unknown): string | undefined {
  const err = e as AwsError;
  if (err?.code !== undefined && NETWORK_CODES.includes(err.code)) return err.code;
  return NETWORK_CODES.find((c) => err?.message?.includes(c));
}

/** True when the failure is the configuration's (no region, no credentials), not the service's. */
export function isConfigProblem(e: unknown): boolean {
  const err = e as AwsError;
  return err?.name === 'CredentialsProviderError' || /region is missing/i.test(err?.message ?? '');
}

/**
 * The error a failed DynamoDB call is thrown as: one sentence naming the store, the operation, the
 * cause and what to do. Always an error (500), never a refusal: an unreachable store is not a
 * double-signing attempt. Never contains credentials.
 */
export function dynamoFailure(ctx: DynamoContext, operation: string, e: unknown, timedOut: boolean, attempts = 1): SignatoryError {
  const err = e as AwsError;
  const type = dynamoErrorType(e, timedOut);
  const tries = attempts > 1 ? `, ${attempts} attempts` : '';
  const aws = err?.message ? ` (${type}: ${err.message}${tries})` : ` (${type}${tries})`;
  const where = `watermark store aws (DynamoDB table "${ctx.table}"${ctx.region ? ` in ${ctx.region}` : ''}${ctx.endpoint ? ` at ${ctx.endpoint}` : ''})`;
  let why: string;
  if (timedOut) {
    why = `no answer within ${ctx.timeoutMs} ms: DynamoDB is unreachable or slower than that; check the network and endpoint, or raise watermark.config.timeout_ms`;
  } else if (/region is missing/i.test(err?.message ?? '')) {
    why = `no AWS region: set watermark.config.region (or AWS_REGION)${aws}`;
  } else if (err?.name === 'CredentialsProviderError') {
    why = `no AWS credentials found: set watermark.config.access_key_id and secret_access_key, or provide them through the AWS SDK chain (environment, profile, role)${aws}`;
  } else if (err?.name === 'AccessDeniedException') {
    why = `access denied: the AWS identity lacks dynamodb:${operation} on table "${ctx.table}"; grant it (docs/watermarks.md lists the IAM policy)${aws}`;
  } else if (BAD_CREDENTIALS.includes(err?.name ?? '')) {
    why = `AWS rejected the credentials: check watermark.config.access_key_id, secret_access_key and session_token (or the SDK credential chain)${aws}`;
  } else if (THROTTLED.includes(err?.name ?? '')) {
    why = `DynamoDB kept throttling the table: raise its capacity or use on-demand billing${aws}`;
  } else if (err?.name === 'ResourceNotFoundException') {
    why = `the table does not exist (was it deleted?): restart the signer with watermark.config.create_table: true, or create it${aws}`;
  } else if (isNetworkError(e)) {
    why = `DynamoDB is unreachable: check the endpoint, region and network${aws}`;
  } else {
    why = `failed${aws}`;
  }
  return new SignatoryError(isConfigProblem(e) ? 'config_invalid' : 'internal', `${where}: ${operation}: ${why}; nothing was released`, {
    cause: e,
  });
}
