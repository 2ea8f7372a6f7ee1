#!/usr/bin/env node
import { isSignatoryError, type ErrorCode } from '@signatory-ts/core';
import { buildProgram } from './program';

/** The only place an error becomes an exit code. */
const EXIT_CODES: Record<ErrorCode, number> = {
  bad_request: 2,
  config_invalid: 3,
  unauthenticated: 4,
  forbidden: 4,
  policy_denied: 4,
  key_not_found: 5,
  watermark_rejected: 6,
  vault_unavailable: 7,
  busy: 7, // the daemon's sign queue is full; the CLI never signs through it
  internal: 1,
};

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (isSignatoryError(e)) {
      process.stderr.write(`signatory-cli: ${e.message}\n`);
      return EXIT_CODES[e.code];
    }
    process.stderr.write(`signatory-cli: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
