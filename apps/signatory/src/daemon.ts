import type { Config } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';
import type { SignerLogger, SignerOptions } from '@signatory-ts/signer';
import { createApp } from './app';
import { buildDeps, type DaemonDeps, type OpenVault } from './deps';
import { defaultMaxConnections, listen, type Listening } from './listen';
import { Reloader, type ReloadResult } from './reload';
import { createUtilityApp } from './utility-app';

export interface ServeOptions {
  readonly logger: SignerLogger;
  readonly openVault: OpenVault;
  /** false with --no-list: do not log the served keys at start-up. */
  readonly list?: boolean;
  readonly signDeadlineMs?: number;
  /** Generic/pack requests' budget of vault calls; consensus requests never wait behind it. */
  readonly genericLane?: SignerOptions['genericLane'];
  readonly requestDeadlineMs?: number;
  /** Time allowed for requests in flight at shutdown, ms (default 10 000, as Go Signatory). */
  readonly shutdownGraceMs?: number;
  readonly version?: string;
  /** Connections the signing listener holds at once (default: from the open-files limit). */
  readonly maxConnections?: number;
  /** Connections one client address may hold on the signing listener (default 128). */
  readonly maxClientConnections?: number;
  /** Time a client has to send a whole request, ms (default 5000). */
  readonly readTimeoutMs?: number;
  /** Signatures matching no authorized key a client address may send per minute before it gets 429 (default 20; 0: no limit). */
  readonly maxAuthFailures?: number;
}

/** The utility listener serves a scraper and a health checker: a few connections are plenty. */
const UTILITY_CONNECTIONS = 32;

export interface Daemon {
  readonly deps: DaemonDeps;
  readonly main: Listening;
  readonly utility: Listening;
  /** Graceful stop: /healthz turns 503, no new connections, requests in flight finish and persist. */
  shutdown(): Promise<void>;
  /** Serves the config `load` returns, or keeps the running one and logs why (reload.ts). */
  reload(load: () => Promise<Config>): Promise<ReloadResult>;
}

/** Logs the keys served (Go Signatory prints its `list` template at start-up), and what is missing. */
export function logKeys(deps: DaemonDeps, logger: SignerLogger, list: boolean): void {
  const snap = deps.signer.listKeys();
  const held = new Set(snap.keys.map((k) => k.pkh));
  for (const f of snap.failed) logger.error(`Vault ${f.vault} could not list its keys: ${f.error}`, { vault: f.vault });
  for (const v of deps.vaults) {
    if (!snap.keys.some((k) => k.vault === v.name) && !snap.failed.some((f) => f.vault === v.name)) {
      logger.error(`No valid keys found in the vault ${v.name}`, { vault: v.name });
    }
  }
  for (const s of snap.skipped) logger.debug(`Skipped key ${s.id}: ${s.reason}`, { vault: s.vault });
  if (list) {
    for (const k of snap.keys) {
      const entry = deps.config.tezos.get(k.pkh);
      const active = deps.config.tezos.has(k.pkh);
      logger.info(`Key ${k.pkh}`, {
        pkh: k.pkh,
        public_key: k.publicKey,
        reference: k.id,
        vault: k.vault,
        active,
        ...(active
          ? {
              allowed_requests: entry ? entry.allowedRequests : ['block', 'preattestation', 'attestation'],
              allowed_operations: entry ? entry.allowedOperations : [],
            }
          : {}),
      });
    }
  }
  for (const pkh of deps.config.tezos.keys()) {
    if (held.has(pkh)) continue;
    if (snap.failed.length > 0) {
      logger.warn(
        `${pkh} is listed under tezos: but no vault that answered holds it; requests for it get 500 naming the vault failure until the vault is listed again (retried with backoff)`,
        { pkh },
      );
    } else {
      logger.warn(`${pkh} is listed under tezos: but no vault holds it; requests for it get 404 until a vault does`, { pkh });
    }
  }
}

/** Why this daemon cannot serve `config` (at start-up or on a reload), or undefined. */
export function refuseConfig(config: Config): string | undefined {
  if (config.server.jwt !== undefined) {
    return `${config.file}: server.jwt is not supported by this daemon yet; use server.authorized_keys for client authentication`;
  }
  if (config.policyHook !== undefined) {
    // an operator who configured a hook expects it to gate every signature: never serve without it
    return `${config.file}: policy_hook is not supported by this daemon yet; remove it only if the static policy under tezos: is enough`;
  }
  return undefined;
}

/** config -> deps -> both listeners. */
export async function serve(config: Config, options: ServeOptions): Promise<Daemon> {
  const { logger } = options;
  const problem = refuseConfig(config);
  if (problem !== undefined) throw new SignatoryError('config_invalid', problem);
  for (const w of config.warnings) logger.warn(w);
  const deps = await buildDeps(config, {
    logger,
    openVault: options.openVault,
    ...(options.signDeadlineMs !== undefined ? { signDeadlineMs: options.signDeadlineMs } : {}),
    ...(options.genericLane !== undefined ? { genericLane: options.genericLane } : {}),
    ...(options.version !== undefined ? { version: options.version } : {}),
  });
  if (deps.signer.authorizedKeys !== undefined) logger.info(`Authorized keys: [${deps.signer.authorizedKeys.join(' ')}]`);
  logKeys(deps, logger, options.list !== false);

  let shuttingDown = false;
  const app = createApp({
    signer: deps.signer,
    metrics: deps.metrics,
    logger,
    ...(options.requestDeadlineMs !== undefined ? { requestDeadlineMs: options.requestDeadlineMs } : {}),
    ...(options.maxAuthFailures !== undefined ? { maxAuthFailures: options.maxAuthFailures } : {}),
  });
  const utilityApp = createUtilityApp({
    registry: deps.metrics.registry,
    get vaults() {
      return deps.vaults; // the configuration served now
    },
    store: deps.store,
    shuttingDown: () => shuttingDown,
  });
  const limits = {
    maxConnections: options.maxConnections ?? defaultMaxConnections(UTILITY_CONNECTIONS),
    maxClientConnections: options.maxClientConnections ?? 128,
    readTimeoutMs: options.readTimeoutMs ?? 5000,
    onError: (e: Error) => logger.error(`Listener error: ${e.message}`),
  };
  const refused = (listener: string) => (cap: string) => deps.metrics.connectionsRefused.inc({ listener, cap });
  const main = await listen(app, config.server.address, { ...limits, setting: 'server.address', onRefused: refused('signing') });
  logger.info(`HTTP server is listening for connections on ${main.address}`, {
    max_connections: limits.maxConnections,
    max_client_connections: limits.maxClientConnections,
    read_timeout_ms: limits.readTimeoutMs,
  });
  const utility = await listen(utilityApp, config.server.utilityAddress, {
    ...limits,
    setting: 'server.utility_address',
    onRefused: refused('utility'),
    maxConnections: UTILITY_CONNECTIONS,
    maxClientConnections: UTILITY_CONNECTIONS / 2,
  });
  logger.info(`Utility HTTP server is listening for connections on ${utility.address}`);

  const reloader = new Reloader({
    signer: deps.signer,
    openVault: options.openVault,
    buildSigner: deps.buildSigner,
    logger,
    registry: deps.metrics.registry,
    refuse: refuseConfig,
    onReloaded: () => logKeys(deps, logger, options.list !== false),
  });

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      logger.info('Shutting down: no new connections; finishing requests in flight');
      const grace = options.shutdownGraceMs ?? 10_000;
      const timer = setTimeout(() => {
        logger.warn(`Requests still open after ${grace} ms; closing their connections`);
        main.destroy();
      }, grace);
      timer.unref();
      const closed = main.close();
      await deps.signer.close(); // waits for signatures in flight: each is persisted before release
      await closed;
      clearTimeout(timer);
      await utility.close();
      utility.destroy();
      logger.info('Signatory stopped');
    })());
  return { deps, main, utility, shutdown, reload: (load) => reloader.reload(load) };
}
