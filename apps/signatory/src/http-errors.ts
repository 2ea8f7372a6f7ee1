import { isSignatoryError, type ErrorCode } from '@signatory-ts/core';

/**
 * The one table from the domain's error codes to HTTP statuses (Go Signatory's statuses), and the
 * one place every error body of the signing listener is written.
 */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  policy_denied: 403,
  key_not_found: 404,
  watermark_rejected: 409,
  vault_unavailable: 500, // Go Signatory answers a KMS failure with 500; Octez clients treat both alike
  busy: 503, // the generic lane's queue is full (packages/signer sign-lane.ts): nothing was signed, retry
  config_invalid: 500,
  internal: 500,
};

/** Errors raised by the HTTP layer itself (body parser), by their own status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface HttpFailure {
  readonly status: number;
  readonly message: string;
  /** The domain code, when the error came from the domain. */
  readonly code?: ErrorCode;
}

/** Status and message for anything thrown while handling a request. Unknown errors are 500 with their text. */
export function toHttpFailure(e: unknown): HttpFailure {
  if (isSignatoryError(e)) return { status: STATUS_BY_CODE[e.code], message: e.message, code: e.code };
  if (e instanceof HttpError) return { status: e.status, message: e.message };
  const bodyParser = e as { type?: string; status?: number; message?: string; limit?: number };
  if (bodyParser?.type === 'entity.too.large') {
    return {
      status: 413,
      message: `request body larger than ${bodyParser.limit} bytes: a sign request is a JSON string of hex, far below this limit`,
    };
  }
  if (typeof bodyParser?.status === 'number' && bodyParser.status >= 400 && bodyParser.status < 500) {
    return { status: bodyParser.status, message: bodyParser.message ?? 'bad request' };
  }
  return { status: 500, message: e instanceof Error ? e.message : String(e) };
}

/** Go Signatory's (and Octez's) error shape: an array of one object, then a newline. */
export function errorBody(message: string): string {
  return JSON.stringify([{ id: 'failure', kind: 'temporary', msg: message }]) + '\n';
}

/** Success bodies: JSON then a newline (Go's json.Encoder). */
export function jsonBody(value: unknown): string {
  return JSON.stringify(value) + '\n';
}
