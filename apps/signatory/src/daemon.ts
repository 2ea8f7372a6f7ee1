import type { Config } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';
import { DEFAULT_HOOK_TIMEOUT_MS, type SignerLogger, type SignerOptions } from '@signatory-ts/signer';
import { createApp } from './app';
import { JwtAuth } from './jwt';
import { buildDeps, policyOf, type DaemonDeps, type OpenVault } from './deps';
import { defaultMaxConnections, listen, parseListenAddress, type Listening } from './listen';
import { Reloader, type ReloadResult } from './reload';
import { throttledLog, type ThrottledLog } from './throttled-log';
import { isLoopbackHost, loadTls, type TlsMaterial } from './tls';
import { createUtilityApp } from './utility-app';

export interface ServeOptions {
  readonly logger: SignerLogger;
  readonly openVault: OpenVault;
  /** false with --no-list: do not log the served keys at start-up. */
  readonly list?: boolean;
  readonly signDeadlineMs?: number;
  /** Deadline of one spend ledger call (limits.spend), ms; signer default 2000. */
  readonly spendLedgerTimeoutMs?: number;
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
  /** Signatures matching no authorized key one client address (wrong /login passwords: one address or IPv6 /64) may send per minute before it gets 429 (default 20; 0: no limit). */
  readonly maxAuthFailures?: number;
}

/** One listener's certificate reload: the setting, and why it failed (the old certificate is kept). */
export interface TlsReload {
  readonly setting: 'server.tls' | 'server.utility_tls';
  readonly error?: string;
}

/** The TLS log fields of a listener: whether clients need certificates, and the certificate served. */
function tlsFields(m: TlsMaterial | undefined): Record<string, unknown> {
  if (m === undefined) return { tls: false };
  return {
    tls: true,
    mtls: m.mtls,
    subject: m.certificate.subject.replaceAll('\n', ', '),
    valid_to: m.certificate.validTo,
    fingerprint256: m.certificate.fingerprint256,
  };
}

/**
 * Start-up warnings about secrets in clear on the network: the signing listener on a non-loopback
 * address without server.tls (sign requests, and with JWT passwords and tokens, travel in clear).
 */
export function plainHttpWarnings(config: Config): string[] {
  const { server } = config;
  if (server.tls !== undefined || isLoopbackHost(parseListenAddress(server.address).host)) return [];
  return [
    server.jwt !== undefined
      ? `server.jwt is served over plain HTTP on ${server.address}: passwords and tokens cross the network in clear, and anyone who sees a token can sign until it expires; set server.tls (docs/authentication.md) or listen on 127.0.0.1 behind a TLS proxy`
      : `the signing listener ${server.address} is plain HTTP on a non-loopback address: requests and signatures cross the network unencrypted and unauthenticated by the transport; set server.tls (docs/authentication.md) or listen on 127.0.0.1 behind a TLS proxy`,
  ];
}

/** Go Signatory's start-up lines about JWT credential rotation (which set is in force, and until when). */
function logJwtRotations(config: Config, logger: SignerLogger, now = Date.now()): void {
  for (const [user, u] of config.server.jwt?.users ?? []) {
    if (u.newData === undefined) continue;
    if (u.oldCredExp === undefined || u.oldCredExp.getTime() <= now) logger.info(`JWT: Applied new credentials for user ${user}`, { user });
    else
      logger.info(`JWT: credentials of user ${user} rotate at ${u.oldCredExp.toISOString()}; until then both sets are accepted`, { user });
  }
}

/** The utility listener serves a scraper and a health checker: a few connections are plenty. */
const UTILITY_CONNECTIONS = 32;
/** Failed TLS handshakes logged a minute; the rest are counted in one line. */
const TLS_ERROR_LINES = 20;

export interface Daemon {
  readonly deps: DaemonDeps;
  readonly main: Listening;
  readonly utility: Listening;
  /**
   * Re-reads the certificate and key of each listener with TLS (SIGHUP): new connections get the
   * new ones, open connections are kept. A file that fails the start-up checks keeps the old
   * certificate in use and is reported (logged and in the result). Nothing to do without TLS.
   */
  reloadTls(now?: number): TlsReload[];
  /** Graceful stop: /healthz turns 503, no new connections, requests in flight finish and persist. */
  shutdown(): Promise<void>;
  /** Serves the config `load` returns, or keeps the running one and logs why (reload.ts). */
  reload(load: () => Promise<Config>): Promise<ReloadResult>;
}

/** `tezos.<pkh>.limits.spend` of a config: what the spend_window_* gauges may show (metrics.spendCapsServed). */
export function spendCapsOf(config: Config): Map<string, readonly { readonly window: string; readonly amount: bigint }[]> {
  const caps = new Map<string, readonly { readonly window: string; readonly amount: bigint }[]>();
  for (const [pkh, p] of config.tezos) if ((p?.limits?.spend?.length ?? 0) > 0) caps.set(pkh, p!.limits!.spend!);
  return caps;
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
export function refuseConfig(config: Config, requestDeadlineMs: number): string | undefined {
  const hookTimeout = config.policyHook?.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  if (config.policyHook !== undefined && hookTimeout >= requestDeadlineMs) {
    // a hook slower than the request would only ever be answered by the request deadline
    return `${config.file}: policy_hook.timeout_ms (${hookTimeout}) must be below the request deadline (${requestDeadlineMs} ms, --request-deadline-ms); lower timeout_ms or raise the deadline`;
  }
  return undefined;
}

/** config -> deps -> both listeners. */
export async function serve(config: Config, options: ServeOptions): Promise<Daemon> {
  const { logger } = options;
  const hookTimeout = config.policyHook?.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  const requestDeadline = options.requestDeadlineMs ?? 10_000;
  const problem = refuseConfig(config, requestDeadline);
  if (problem !== undefined) throw new SignatoryError('config_invalid', problem);
  for (const w of config.warnings) logger.warn(w);
  logJwtRotations(config, logger);
  // TLS files are checked before any vault is opened: a bad one stops the start with one line naming it
  const mainTls = config.server.tls !== undefined ? loadTls(config.server.tls, 'server.tls') : undefined;
  const utilityTls = config.server.utilityTls !== undefined ? loadTls(config.server.utilityTls, 'server.utility_tls') : undefined;
  for (const w of [...(mainTls?.warnings ?? []), ...(utilityTls?.warnings ?? []), ...plainHttpWarnings(config)]) logger.warn(w);
  policyOf(config); // the policy hook too (its policy_hook.ca_file is read and checked): built once here and dropped
  const deps = await buildDeps(config, {
    logger,
    openVault: options.openVault,
    ...(options.signDeadlineMs !== undefined ? { signDeadlineMs: options.signDeadlineMs } : {}),
    ...(options.spendLedgerTimeoutMs !== undefined ? { spendLedgerTimeoutMs: options.spendLedgerTimeoutMs } : {}),
    ...(options.genericLane !== undefined ? { genericLane: options.genericLane } : {}),
    ...(options.version !== undefined ? { version: options.version } : {}),
  });
  if (deps.signer.authorizedKeys !== undefined) logger.info(`Authorized keys: [${deps.signer.authorizedKeys.join(' ')}]`);
  if (config.policyHook !== undefined) {
    const url = new URL(config.policyHook.address); // shown without credentials or query
    logger.info('Policy hook enabled', {
      address: `${url.origin}${url.pathname}`,
      signed_replies: config.policyHook.authorizedKeys !== undefined,
      timeout_ms: hookTimeout,
      ...(config.policyHook.caFile !== undefined ? { ca_file: config.policyHook.caFile } : {}),
    });
  }
  logKeys(deps, logger, options.list !== false);
  deps.metrics.spendCapsServed(spendCapsOf(config));

  let shuttingDown = false;
  const app = createApp({
    signer: deps.signer,
    metrics: deps.metrics,
    logger,
    ...(options.requestDeadlineMs !== undefined ? { requestDeadlineMs: options.requestDeadlineMs } : {}),
    ...(options.maxAuthFailures !== undefined ? { maxAuthFailures: options.maxAuthFailures } : {}),
    ...(config.server.jwt !== undefined
      ? {
          jwt: new JwtAuth(config.server.jwt, {
            onSuspicious: (user) => logger.warn('JWT: Suspicious activity detected, token user does not match request user', { user }),
          }),
        }
      : {}),
  });
  const utilityApp = createUtilityApp({
    registry: deps.metrics.registry,
    get vaults() {
      return deps.vaults; // the configuration served now
    },
    store: deps.store,
    shuttingDown: () => shuttingDown,
  });
  // scanners and misconfigured clients: worth a line (at most 20 a minute per listener, so a scanner of the
  // utility port does not hide a baker's failing client certificate), not an alarm
  const tlsErrorLogs = ['signing', 'utility'].map((listener) =>
    throttledLog((m, fields) => logger.info(m, { ...fields, listener }), {
      limit: TLS_ERROR_LINES,
      windowMs: 60_000,
      what: `failed TLS handshakes on the ${listener} listener`,
    }),
  );
  const tlsErrors = (log: ThrottledLog) => (e: Error, client: string) => log.write(`TLS handshake failed: ${e.message}`, { client });
  const limits = {
    maxConnections: options.maxConnections ?? defaultMaxConnections(UTILITY_CONNECTIONS),
    maxClientConnections: options.maxClientConnections ?? 128,
    readTimeoutMs: options.readTimeoutMs ?? 5000,
    onError: (e: Error) => logger.error(`Listener error: ${e.message}`),
  };
  const refused = (listener: string) => (cap: string) => deps.metrics.connectionsRefused.inc({ listener, cap });
  const main = await listen(app, config.server.address, {
    ...limits,
    setting: 'server.address',
    onRefused: refused('signing'),
    onTlsError: tlsErrors(tlsErrorLogs[0]!),
    ...(mainTls !== undefined ? { tls: mainTls } : {}),
  });
  logger.info(`HTTP server is listening for connections on ${main.address}`, {
    max_connections: limits.maxConnections,
    max_client_connections: limits.maxClientConnections,
    read_timeout_ms: limits.readTimeoutMs,
    ...tlsFields(mainTls),
  });
  const utility = await listen(utilityApp, config.server.utilityAddress, {
    ...limits,
    setting: 'server.utility_address',
    onRefused: refused('utility'),
    onTlsError: tlsErrors(tlsErrorLogs[1]!),
    maxConnections: UTILITY_CONNECTIONS,
    maxClientConnections: UTILITY_CONNECTIONS / 2,
    ...(utilityTls !== undefined ? { tls: utilityTls } : {}),
  });
  logger.info(`Utility HTTP server is listening for connections on ${utility.address}`, tlsFields(utilityTls));

  const reloadTls = (now = Date.now()): TlsReload[] => {
    const out: TlsReload[] = [];
    for (const [setting, tls, listener] of [
      ['server.tls', config.server.tls, main],
      ['server.utility_tls', config.server.utilityTls, utility],
    ] as const) {
      if (tls === undefined || listener.setSecureContext === undefined) continue;
      try {
        const m = loadTls(tls, setting, now);
        // at start-up an expired certificate is a warning (there is nothing else to serve); on reload the
        // working one stays rather than be replaced by one clients refuse
        if (m.outsideValidity !== undefined) throw new Error(m.outsideValidity);
        listener.setSecureContext(m.context);
        for (const w of m.warnings) logger.warn(w);
        logger.info(`TLS certificate reloaded for ${setting}`, tlsFields(m));
        out.push({ setting });
      } catch (e) {
        const error = (e as Error).message;
        logger.error(`TLS reload failed, still serving the previous certificate: ${error}`);
        out.push({ setting, error });
      }
    }
    return out;
  };

  const reloader = new Reloader({
    signer: deps.signer,
    openVault: options.openVault,
    buildSigner: deps.buildSigner,
    logger,
    registry: deps.metrics.registry,
    refuse: (c) => refuseConfig(c, requestDeadline),
    onReloaded: (gen) => {
      // spend_window_* series of caps the reload removed go now, not at the next restart
      deps.metrics.spendCapsServed(spendCapsOf(gen.config));
      logKeys(deps, logger, options.list !== false);
    },
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
      await deps.spendLedger?.close(); // after the signer: requests in flight confirm their reservations
      await closed;
      clearTimeout(timer);
      await utility.close();
      utility.destroy();
      for (const log of tlsErrorLogs) log.close();
      logger.info('Signatory stopped');
    })());
  return { deps, main, utility, shutdown, reloadTls, reload: (load) => reloader.reload(load) };
}
