import { Gauge } from 'prom-client';
import type { Config } from '@signatory-ts/config';
import type { Vault } from '@signatory-ts/core';
import {
  createSigner,
  PolicyChain,
  PolicyHook,
  StaticPolicy,
  type Policy,
  type SignerLogger,
  type SignerOptions,
} from '@signatory-ts/signer';
import { openSpendLedger, type SpendLedger } from '@signatory-ts/spend-ledger';
import { checkBaseDir, openWatermarkStore, type WatermarkStore } from '@signatory-ts/watermark';
import { createMetrics, type Metrics } from './metrics';
import { lendStore, lendVault, SwappableSigner, type BuildSigner } from './reload';

export interface DaemonDeps {
  /** The configuration served now (a reload replaces it). */
  readonly config: Config;
  /** The vaults of the configuration served now. */
  readonly vaults: readonly Vault[];
  readonly store: WatermarkStore;
  /** The signer of the configuration served now; a reload swaps what is behind it (reload.ts). */
  readonly signer: SwappableSigner;
  readonly metrics: Metrics;
  /** Builds a signer for a config and its open vaults, on this store and metrics (a reload uses it). */
  readonly buildSigner: BuildSigner;
  /** The ledger of spend caps, once a served config has `limits.spend`; closed at shutdown after the signer. */
  readonly spendLedger: SpendLedger | undefined;
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
  const vaults = new Map<string, Vault>();
  for (const [name, vc] of config.vaults) {
    logger.info('Initializing vault', { vault: vc.driver, vault_name: name });
    vaults.set(name, await options.openVault(name, vc));
  }
  const metrics = createMetrics(options.version !== undefined ? { version: options.version } : {});
  const store = await openWatermarkStore(config, {
    onIo: metrics.watermarkIo,
    log: (m) => logger.info(m),
    onWarning: (m) => logger.warn(m),
  });
  logger.info('Initializing watermark backend', { backend: store.name });
  // spend caps (limits.spend): their ledger in the watermarks' store family, so replicas share one budget. Opened
  // when a config served (at start-up or by a reload) first has caps; the watermark settings it follows never change
  // on a reload, so one ledger serves every generation
  let spendLedger: SpendLedger | undefined;
  let opening: Promise<SpendLedger> | undefined;
  const ledgerFor = async (config: Config): Promise<SpendLedger | undefined> => {
    if (spendLedger !== undefined || ![...config.tezos.values()].some((p) => (p?.limits?.spend?.length ?? 0) > 0)) return spendLedger;
    opening ??= openSpendLedger(config, { log: (m) => logger.info(m) });
    try {
      spendLedger = await opening;
    } finally {
      opening = undefined; // a failed opening is tried again by the next config with caps
    }
    logger.info('Initializing spend ledger', { backend: spendLedger.name });
    return spendLedger;
  };
  // every generation's signer borrows the vaults, the store and the spend ledger: the SwappableSigner closes the
  // vaults and the store, the daemon the ledger
  const buildSigner: BuildSigner = async (config, vaults) => {
    const ledger = await ledgerFor(config);
    return createSigner({
      vaults: vaults.map(lendVault),
      policies: config.tezos,
      policy: policyOf(config, metrics),
      watermarkStore: lendStore(store),
      ...(config.server.authorizedKeys !== undefined ? { authorizedKeys: config.server.authorizedKeys } : {}),
      logger,
      events: metrics.events,
      ...(options.signDeadlineMs !== undefined ? { signDeadlineMs: options.signDeadlineMs } : {}),
      ...(options.genericLane !== undefined ? { genericLane: options.genericLane } : {}),
      ...(ledger !== undefined ? { spendLedger: ledger } : {}),
      ...(options.spendLedgerTimeoutMs !== undefined ? { spendLedgerTimeoutMs: options.spendLedgerTimeoutMs } : {}),
    });
  };
  const signer = new SwappableSigner({ config, vaults, signer: await buildSigner(config, [...vaults.values()]) }, store);
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
  return {
    get config() {
      return signer.generation.config;
    },
    get vaults() {
      return [...signer.generation.vaults.values()];
    },
    store,
    signer,
    metrics,
    buildSigner,
    get spendLedger() {
      return spendLedger;
    },
  };
}

/**
 * The static policy of `tezos:`, then the policy hook when `policy_hook` is set (a config reload builds a new one,
 * reading `policy_hook.ca_file` again). Throws config_invalid for a hook setting that cannot be used.
 */
export function policyOf(config: Config, metrics?: Metrics): Policy {
  const statics = new StaticPolicy(config.tezos);
  const hook = config.policyHook;
  if (hook === undefined) return statics;
  return new PolicyChain([
    statics,
    new PolicyHook({
      address: hook.address,
      ...(hook.authorizedKeys !== undefined ? { authorizedKeys: hook.authorizedKeys } : {}),
      ...(hook.timeoutMs !== undefined ? { timeoutMs: hook.timeoutMs } : {}),
      ...(hook.caFile !== undefined ? { caFile: hook.caFile } : {}),
      ...(metrics !== undefined ? { onCall: metrics.policyHook } : {}),
    }),
  ]);
}
