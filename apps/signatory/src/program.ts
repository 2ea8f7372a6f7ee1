import { GLOBAL_OPTIONS } from '@signatory-ts/config';
import { Command, InvalidArgumentError } from 'commander';

export interface GlobalOptions {
  config: string;
  baseDir?: string;
  log: string;
  jsonLog?: boolean;
}

export interface ServeFlags extends GlobalOptions {
  /** false with --no-list */
  list: boolean;
  kmsDeadlineMs: number;
  /** undefined: an attempt may use half the KMS deadline (at most 10 s) */
  kmsAttemptTimeoutMs?: number;
  requestDeadlineMs: number;
  maxConnections?: number;
  maxClientConnections: number;
  readTimeoutMs: number;
  maxAuthFailures: number;
  genericConcurrency: number;
  genericQueue: number;
}

export interface ProgramActions {
  serve(flags: ServeFlags): Promise<void>;
  version(): void;
}

const nonNegativeInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

/** `signatory [serve] -c signatory.yaml [--log level] [--json-log] [--base-dir dir] [--no-list]`, `signatory version`. */
export function buildProgram(actions: ProgramActions): Command {
  const program = new Command('signatory')
    .description('Tezos remote signer (Signatory-compatible HTTP API) backed by AWS KMS')
    .showHelpAfterError();
  for (const [flags, description, defaultValue] of GLOBAL_OPTIONS) program.option(flags, description, defaultValue);

  program
    .command('serve', { isDefault: true })
    .description('Run the signer')
    .option('--no-list', 'do not log the list of keys at start-up')
    .option('--kms-deadline-ms <ms>', 'time one KMS call may take, retries included', positiveInt, 5000)
    .option(
      '--kms-attempt-timeout-ms <ms>',
      'time one KMS attempt may wait for an answer before it is aborted and retried within the deadline (default: half the deadline, at most 10000)',
      positiveInt,
    )
    .option('--request-deadline-ms <ms>', 'time one sign request may take before it fails (500)', positiveInt, 10000)
    .option('--max-connections <n>', 'connections the signing listener holds at once (default: 3/4 of the open-files limit)', positiveInt)
    .option('--max-client-connections <n>', 'connections one client address may hold on the signing listener', positiveInt, 128)
    .option(
      '--max-auth-failures <n>',
      'signatures matching no authorized key, and wrong /login passwords, a client (an address; for logins an IPv6 /64) may send per minute (each counted apart) before it gets 429 (0: no limit)',
      nonNegativeInt,
      20,
    )
    .option('--read-timeout-ms <ms>', 'time a client has to send a whole request, headers and body (408 after)', positiveInt, 5000)
    .option(
      '--generic-concurrency <n>',
      'KMS Sign calls for generic and pack requests at once (block and consensus requests are never limited or queued behind them)',
      positiveInt,
      16,
    )
    .option(
      '--generic-queue <n>',
      'generic and pack requests waiting for a KMS slot at most; more are answered 503 (busy, retry)',
      nonNegativeInt,
      256,
    )
    .action(async (_opts: object, command: Command) => {
      await actions.serve(command.optsWithGlobals<ServeFlags>());
    });

  program
    .command('version')
    .alias('v')
    .description("Show signatory version (short alias 'v')")
    .action(() => actions.version());
  return program;
}
