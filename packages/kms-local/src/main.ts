#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { startKmsLocal } from './server';

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

const program = new Command('kms-local')
  .description(
    'Local AWS KMS endpoint (JSON 1.1) on loopback. Prints "kms-local listening on <url>" once ready.\n' +
      'Set KMS_LOCAL_ACCESS_KEY_ID and KMS_LOCAL_SECRET_ACCESS_KEY to require requests signed with those credentials.',
  )
  .requiredOption('--dir <dir>', 'directory for keys and aliases (created if missing)')
  .option('--port <port>', 'port, 0 for a free one', nonNegativeInt, 0)
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--region <region>', 'region for keys created outside the API', 'us-east-1')
  .option('--account-id <id>', 'AWS account id in ARNs', '111122223333')
  .option('--latency-ms <n>', 'added latency per call', nonNegativeInt, 0)
  .addOption(new Option('--high-s <mode>', 'ECDSA S values').choices(['random', 'always']).default('random'))
  .option('--no-aws-aliases', 'do not list the predefined alias/aws/* aliases')
  .option('--verbose', 'log one line per request to stderr')
  .action(
    async (opts: {
      dir: string;
      port: number;
      host: string;
      region: string;
      accountId: string;
      latencyMs: number;
      highS: 'random' | 'always';
      awsAliases: boolean;
      verbose?: boolean;
    }) => {
      const accessKeyId = process.env.KMS_LOCAL_ACCESS_KEY_ID;
      const secretAccessKey = process.env.KMS_LOCAL_SECRET_ACCESS_KEY;
      if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
        program.error('set both KMS_LOCAL_ACCESS_KEY_ID and KMS_LOCAL_SECRET_ACCESS_KEY, or neither');
      }
      const server = await startKmsLocal({
        dir: opts.dir,
        port: opts.port,
        host: opts.host,
        region: opts.region,
        accountId: opts.accountId,
        credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
        faults: { latencyMs: opts.latencyMs, highS: opts.highS },
        awsManagedAliases: opts.awsAliases,
        log: opts.verbose ? (line) => process.stderr.write(`kms-local: ${line}\n`) : undefined,
      });
      process.stdout.write(`kms-local listening on ${server.url}\n`);
      const stop = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
  );

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`kms-local: ${(err as Error).message}\n`);
  process.exit(1);
});
