import { Gauge } from 'prom-client';
import type { Config } from '@signatory-ts/config';
import type { Vault } from '@signatory-ts/core';
import {
  createSigner,
  PolicyChain,
  PolicyHook,
  StaticPolicy,
  type Policy,
  type Signer,
  type SignerLogger,
  type SignerOptions,
} from '@signatory-ts/signer';
import { openSpendLedger, type SpendLedger } from '@signatory-ts/spend-ledger';
import { checkBaseDir, openWatermarkStore, type WatermarkStore } from '@signatory-ts/watermark';
import { createMetrics, type Metrics } from './metrics';

export interface DaemonDeps {
  readonly config: Config;
  readonly vaults: readonly Vault[];
  readonly store: WatermarkStore;
  readonly signer: Signer;
  readonly metrics: Metrics;
  /** The ledger of spend caps, open when some key has `limits.spend`; closed at shutdown after the signer. */
  readonly spendLedger?: SpendLedger;
}

/** Opens the vault of one `vaults.<name>` entry. */
export type OpenVault = (name: string, config: Config['vaults'] extends ReadonlyMap<string, infer V> ? V : never) => Vault | Promise<Vault>;

export interface BuildOptions {
  readonly logger: SignerLogger;
  readonly openVault: OpenVault;
  readonly signDeadlineMs?: number;
  /** Deadline of one spend ledger call, ms (signer default 2000). */
  readonly spendLedgerTimeoutMs?: number;
  /** Generic/pack requests' budget of vault calls (signer default: 16 at once, 256 waiting). */
  readonly genericLane?: SignerOptions['genericLane'];
  readonly version?: string;
}

/** config -> vaults, watermark store, metrics and the signer (vaults listed once). */
export async function buildDeps(config: Config, options: BuildOptions): Promise<DaemonDeps> {
  const { logger } = options;
  if (config.watermark.driver === 'file') {
    // a bad base_dir stops the start here, before any vault is opened, with one line saying what to fix,
    // instead of failing every consensus request later
    for (const w of await checkBaseDir(config.baseDir)) logger.warn(w);
  }
  const vaults: Vault[] = [];
  for (const [name, vc] of config.vaults) {
    logger.info('Initializing vault', { vault: vc.driver, vault_name: name });
    vaults.push(await options.openVault(name, vc));
  }
  const metrics = createMetrics(options.version !== undefined ? { version: options.version } : {});
  const store = await openWatermarkStore(config, {
    onIo: metrics.watermarkIo,
    log: (m) => logger.info(m),
    onWarning: (m) => logger.warn(m),
  });
  logger.info('Initializing watermark backend', { backend: store.name });
  // spend caps (limits.spend): their ledger in the watermarks' store family, so replicas share one budget
  const spendLedger = [...config.tezos.values()].some((p) => (p?.limits?.spend?.length ?? 0) > 0)
    ? await openSpendLedger(config, { log: (m) => logger.info(m) })
    : undefined;
  if (spendLedger !== undefined) logger.info('Initializing spend ledger', { backend: spendLedger.name });
  const signer = await createSigner({
    vaults,
    policies: config.tezos,
    policy: policyOf(config, metrics),
    watermarkStore: store,
    ...(config.server.authorizedKeys !== undefined ? { authorizedKeys: config.server.authorizedKeys } : {}),
    logger,
    events: metrics.events,
    ...(options.signDeadlineMs !== undefined ? { signDeadlineMs: options.signDeadlineMs } : {}),
    ...(options.genericLane !== undefined ? { genericLane: options.genericLane } : {}),
    ...(spendLedger !== undefined ? { spendLedger } : {}),
    ...(options.spendLedgerTimeoutMs !== undefined ? { spendLedgerTimeoutMs: options.spendLedgerTimeoutMs } : {}),
  });
  new Gauge({
    name: 'generic_sign_lane_requests',
    help: 'Generic and pack requests in the vault lane, by state: running (vault call in flight) or queued (waiting for a slot).',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      this.set({ state: 'running' }, signer.genericLane.inFlight);
      this.set({ state: 'queued' }, signer.genericLane.queued);
    },
  });
  return { config, vaults, store, signer, metrics, ...(spendLedger !== undefined ? { spendLedger } : {}) };
}

/** The static policy of `tezos:`, then the policy hook when `policy_hook` is set (a config reload builds a new one). */
export function policyOf(config: Config, metrics: Metrics): Policy {
  const statics = new StaticPolicy(config.tezos);
  const hook = config.policyHook;
  if (hook === undefined) return statics;
  return new PolicyChain([
    statics,
    new PolicyHook({
      address: hook.address,
      ...(hook.authorizedKeys !== undefined ? { authorizedKeys: hook.authorizedKeys } : {}),
      ...(hook.timeoutMs !== undefined ? { timeoutMs: hook.timeoutMs } : {}),
      onCall: metrics.policyHook,
    }),
  ]);
}
