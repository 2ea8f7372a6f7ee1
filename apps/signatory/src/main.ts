#!/usr/bin/env node
import { loadConfig } from '@signatory-ts/config';
import { isSignatoryError } from '@signatory-ts/core';
import { awsKmsOpener } from './aws-vault';
import { serve } from './daemon';
import { createLogger, logProcessWarnings, type Logger } from '@signatory-ts/log';
import { buildProgram, type ServeFlags } from './program';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = (require('../package.json') as { version: string }).version;

/**
 * What a request keeps beside --kms-deadline-ms for the rest of its work (verification, the watermark
 * write, the answer) when the generic lane's wait and the spend ledger's budget are taken from it.
 */
const REQUEST_MARGIN_MS = 1000;

/** KMS client sockets kept for everything but the generic lane (the AWS SDK's default pool size). */
const CONSENSUS_SOCKETS = 50;

/**
 * One SIGHUP handler for the whole life of the process, installed before anything else: a SIGHUP that
 * arrives while the daemon starts (a certificate renewal hook, say) is logged instead of ending the
 * process (Node's default). Once serving, SIGHUP re-reads the TLS certificates (when a listener has
 * TLS; open connections kept, a bad file keeps the old one) and signatory.yaml (reload.ts).
 */
function handleSighup(logger: Logger): (reload: () => void) => void {
  let reload: (() => void) | undefined;
  process.on('SIGHUP', () => {
    if (reload === undefined) logger.warn('Received SIGHUP while starting: nothing to reload yet; send it again once the daemon listens');
    else reload();
  });
  return (r) => (reload = r);
}

/** config -> deps -> listen; SIGTERM/SIGINT -> graceful shutdown, exit 0. */
async function runServe(flags: ServeFlags): Promise<void> {
  const logger = createLogger({ level: flags.log, ...(flags.jsonLog ? { json: true } : {}) });
  logProcessWarnings(logger);
  // a defect somewhere must not end a signer that bakers depend on: say so loudly, keep serving (every
  // signature is still released only after its watermark is stored)
  process.on('unhandledRejection', (e) =>
    logger.error(`Unhandled promise rejection (a defect: please report it): ${(e as Error)?.stack ?? String(e)}`),
  );
  const onSighup = handleSighup(logger);
  const load = () => loadConfig(flags.config, flags.baseDir !== undefined ? { baseDirOverride: flags.baseDir } : {});
  const config = await load();
  // the time a request leaves for waiting on a lane slot or the spend ledger, beside its vault call
  const besideVaultMs = Math.max(100, flags.requestDeadlineMs - flags.kmsDeadlineMs - REQUEST_MARGIN_MS);
  const daemon = await serve(config, {
    logger,
    openVault: awsKmsOpener(flags.kmsDeadlineMs, (m) => logger.warn(m), {
      ...(flags.kmsAttemptTimeoutMs !== undefined ? { attemptTimeoutMs: flags.kmsAttemptTimeoutMs } : {}),
      // generic requests hold at most --generic-concurrency sockets: the SDK's usual 50 stay free for consensus and listing
      maxSockets: CONSENSUS_SOCKETS + flags.genericConcurrency,
    }),
    // a generic request waits for a slot only as long as it can still be signed within the request deadline
    genericLane: {
      concurrency: flags.genericConcurrency,
      maxQueued: flags.genericQueue,
      maxWaitMs: besideVaultMs,
    },
    list: flags.list,
    // one deadline per KMS call: the AWS KMS vault keeps --kms-deadline-ms itself (retries inside it) and says
    // why it failed; the signer bounds with the same value only a vault that keeps no deadline of its own
    signDeadlineMs: flags.kmsDeadlineMs,
    spendLedgerTimeoutMs: besideVaultMs,
    requestDeadlineMs: flags.requestDeadlineMs,
    ...(flags.maxConnections !== undefined ? { maxConnections: flags.maxConnections } : {}),
    maxClientConnections: flags.maxClientConnections,
    readTimeoutMs: flags.readTimeoutMs,
    maxAuthFailures: flags.maxAuthFailures,
    version: VERSION,
  });
  const tls = config.server.tls !== undefined || config.server.utilityTls !== undefined;
  onSighup(() => {
    logger.info(tls ? 'Received SIGHUP: reloading TLS certificates and signatory.yaml' : 'Received SIGHUP');
    if (tls) daemon.reloadTls();
    // during shutdown the reload does nothing and says so
    daemon.reload(load).catch((e: unknown) => logger.error(`Reload failed: ${(e as Error).message}`));
  });
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      // a terminal's Ctrl-C reaches the whole process group, and a supervisor may add its own SIGTERM:
      // later signals must not cut the graceful shutdown short
      logger.info(stopping ? `Received ${signal}; already shutting down` : `Received ${signal}`);
      if (stopping) return;
      stopping = true;
      daemon.shutdown().then(resolve, (e) => {
        logger.error(`Shutdown failed: ${(e as Error).message}`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

buildProgram({
  serve: runServe,
  version: () => process.stdout.write(`Release Version: ${VERSION}\n`),
})
  .parseAsync(process.argv)
  .then(
    () => process.exit(process.exitCode ?? 0),
    (e: unknown) => {
      process.stderr.write(`signatory: ${isSignatoryError(e) ? e.message : ((e as Error)?.stack ?? String(e))}\n`);
      process.exit(1);
    },
  );
