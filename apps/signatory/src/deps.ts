import type { Config } from '@signatory-ts/config';
import type { Vault } from '@signatory-ts/core';
import { createSigner, type Signer, type SignerLogger } from '@signatory-ts/signer';
import { FileWatermarkStore, MemoryWatermarkStore, type WatermarkIoObserver, type WatermarkStore } from '@signatory-ts/watermark';
import { createMetrics, type Metrics } from './metrics';

export interface DaemonDeps {
  readonly config: Config;
  readonly vaults: readonly Vault[];
  readonly store: WatermarkStore;
  readonly signer: Signer;
  readonly metrics: Metrics;
}

/** Opens the vault of one `vaults.<name>` entry. */
export type OpenVault = (name: string, config: Config['vaults'] extends ReadonlyMap<string, infer V> ? V : never) => Vault | Promise<Vault>;

export interface BuildOptions {
  readonly logger: SignerLogger;
  readonly openVault: OpenVault;
  readonly signDeadlineMs?: number;
  readonly version?: string;
}

/** The watermark store `watermark.driver` names (file by default, under base_dir). */
export function openWatermarkStore(config: Config, onIo?: WatermarkIoObserver): WatermarkStore {
  if (config.watermark.driver === 'mem') return new MemoryWatermarkStore();
  return new FileWatermarkStore({ baseDir: config.baseDir, ...(onIo !== undefined ? { onIo } : {}) });
}

/** config -> vaults, watermark store, metrics and the signer (vaults listed once). */
export async function buildDeps(config: Config, options: BuildOptions): Promise<DaemonDeps> {
  const { logger } = options;
  const vaults: Vault[] = [];
  for (const [name, vc] of config.vaults) {
    logger.info('Initializing vault', { vault: vc.driver, vault_name: name });
    vaults.push(await options.openVault(name, vc));
  }
  const metrics = createMetrics(options.version !== undefined ? { version: options.version } : {});
  const store = openWatermarkStore(config, metrics.watermarkIo);
  logger.info('Initializing watermark backend', { backend: store.name });
  const signer = await createSigner({
    vaults,
    policies: config.tezos,
    watermarkStore: store,
    ...(config.server.authorizedKeys !== undefined ? { authorizedKeys: config.server.authorizedKeys } : {}),
    logger,
    events: metrics.events,
    ...(options.signDeadlineMs !== undefined ? { signDeadlineMs: options.signDeadlineMs } : {}),
  });
  return { config, vaults, store, signer, metrics };
}
