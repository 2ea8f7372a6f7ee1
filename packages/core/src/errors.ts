/**
 * The one error class the domain throws. It never knows HTTP or exit codes: the daemon maps
 * `code` to a status in one table (apps/signatory), the CLI to an exit code in one place
 * (apps/signatory-cli main.ts). Policy and watermark refusals are values, not exceptions.
 */
export const ERROR_CODES = [
  'bad_request',
  'unauthenticated',
  'forbidden',
  'policy_denied',
  'key_not_found',
  'watermark_rejected',
  'vault_unavailable',
  /** too many requests waiting for the vault: retry later (503) */
  'busy',
  'config_invalid',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class SignatoryError extends Error {
  override readonly name = 'SignatoryError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isSignatoryError(e: unknown): e is SignatoryError {
  return e instanceof SignatoryError;
}
