import { isDeepStrictEqual } from 'node:util';
import { Counter, Gauge, type Registry } from 'prom-client';
import { isConfigError, type Config } from '@signatory-ts/config';
import type { Vault } from '@signatory-ts/core';
import type { IndexSnapshot, SignInput, Signer, SignerLogger } from '@signatory-ts/signer';
import type { WatermarkStore } from '@signatory-ts/watermark';

/**
 * SIGHUP: the daemon reads signatory.yaml again and, when it loads, serves the new keys, policies,
 * authorized keys and vaults without closing a connection or failing a request in flight. A new
 * signer is built beside the running one (vaults whose settings did not change are reused, not
 * reopened), then requests go to it; the old one finishes what it had started and is dropped.
 * A config that does not load, or a vault that does not open or cannot list its keys, changes nothing.
 *
 * What a running process cannot change is kept, and the log says a restart is needed: the
 * watermark store (base_dir, watermark:) is never swapped, since two stores could each accept a
 * level the other already signed; the listeners (server.address, server.utility_address, their TLS
 * files) stay as they are. A changed server.jwt fails the reload: logins use the users of the start.
 */

/** One configuration as served: the config, the vaults it opened (name -> vault) and its signer. */
export interface Generation {
  readonly config: Config;
  readonly vaults: ReadonlyMap<string, Vault>;
  readonly signer: Signer;
}

/**
 * A vault or store lent to a signer: everything but close(), so that retiring a signer (its
 * close() waits for its requests in flight) leaves the vaults and the store the next one uses open.
 */
export function lendVault(v: Vault): Vault {
  return { name: v.name, list: () => v.list(), ...(v.ready !== undefined ? { ready: () => v.ready!() } : {}) };
}

export function lendStore(s: WatermarkStore): WatermarkStore {
  return {
    name: s.name,
    get: (slot) => s.get(slot),
    commit: (slot, next) => s.commit(slot, next),
    ...(s.health !== undefined ? { health: () => s.health!() } : {}),
  };
}

/**
 * The signer the app holds: calls go to the current generation's signer; swap() installs the next
 * one. Each call picks the signer once, synchronously, so a request runs whole on one generation.
 * It owns the vaults and the store: close() closes them once no generation needs them.
 */
export class SwappableSigner implements Signer {
  private gen: Generation;
  private readonly retiring = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(
    first: Generation,
    private readonly store: WatermarkStore,
  ) {
    this.gen = first;
  }

  get generation(): Generation {
    return this.gen;
  }
  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  sign(input: SignInput): Promise<{ signature: string }> {
    return this.gen.signer.sign(input);
  }
  getPublicKey(pkh: string): Promise<string> {
    return this.gen.signer.getPublicKey(pkh);
  }
  listKeys(): IndexSnapshot {
    return this.gen.signer.listKeys();
  }
  refreshKeys(): Promise<IndexSnapshot> {
    return this.gen.signer.refreshKeys();
  }
  get authorizedKeys(): readonly string[] | undefined {
    return this.gen.signer.authorizedKeys;
  }
  authenticate(pkh: string, bytes: Uint8Array, authentication: string | undefined): string | undefined {
    return this.gen.signer.authenticate(pkh, bytes, authentication);
  }
  isActive(pkh: string): boolean {
    return this.gen.signer.isActive(pkh);
  }
  get inFlight(): number {
    return this.gen.signer.inFlight;
  }
  get genericLane(): Signer['genericLane'] {
    return this.gen.signer.genericLane;
  }

  /**
   * Installs `next`. The previous signer refuses nothing that already reached it: its requests
   * finish (watermarks persisted), then the vaults `next` does not use are closed. Resolves then.
   */
  swap(next: Generation): Promise<void> {
    const old = this.gen;
    this.gen = next;
    const kept = new Set(next.vaults.values());
    const done = (async () => {
      await old.signer.close();
      await Promise.allSettled([...old.vaults.values()].filter((v) => !kept.has(v)).map((v) => v.close?.()));
    })();
    this.retiring.add(done);
    void done.finally(() => this.retiring.delete(done));
    return done;
  }

  /** Shutdown: waits for every generation's requests in flight, then closes the vaults and the store. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await this.gen.signer.close();
      await Promise.allSettled([...this.retiring]);
      await Promise.allSettled([...this.gen.vaults.values()].map((v) => v.close?.()));
      await this.store.close?.();
    })());
  }
}

/** Builds a generation's signer: what buildDeps does at start-up, for vaults already open. */
export type BuildSigner = (config: Config, vaults: readonly Vault[]) => Promise<Signer>;

export interface ReloaderOptions {
  readonly signer: SwappableSigner;
  readonly openVault: (name: string, vc: Config['vaults'] extends ReadonlyMap<string, infer V> ? V : never) => Vault | Promise<Vault>;
  readonly buildSigner: BuildSigner;
  readonly logger: SignerLogger;
  readonly registry: Registry;
  /** A problem that stops a config from being served (as at start-up), or undefined. */
  readonly refuse?: (config: Config) => string | undefined;
  /** Called with each new generation once it serves (the daemon logs its keys). */
  readonly onReloaded?: (gen: Generation) => void;
}

export type ReloadResult = { readonly ok: true } | { readonly ok: false; readonly problems: readonly string[] };

/** Settings a running daemon cannot change, and what to say when they did. */
const NEEDS_RESTART: readonly { readonly setting: string; readonly of: (c: Config) => unknown }[] = [
  { setting: 'base_dir', of: (c) => c.baseDir },
  { setting: 'watermark', of: (c) => c.watermark },
  { setting: 'server.address', of: (c) => c.server.address },
  { setting: 'server.utility_address', of: (c) => c.server.utilityAddress },
  // SIGHUP re-reads the certificate files the process started with (main.ts); other files need a restart
  { setting: 'server.tls', of: (c) => c.server.tls },
  { setting: 'server.utility_tls', of: (c) => c.server.utilityTls },
];

/**
 * Settings whose change fails the whole reload: the app checks JWT logins with the users it started
 * with, so a reload that adds, removes or rotates them would look applied while it is not.
 */
const REFUSED_ON_RELOAD: readonly { readonly setting: string; readonly of: (c: Config) => unknown }[] = [
  { setting: 'server.jwt', of: (c) => c.server.jwt },
];

/** Reloads, one at a time (a SIGHUP during a reload runs after it, with the file as it is then). */
export class Reloader {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly reloads: Counter<'result'>;
  private readonly lastOk: Gauge;
  private readonly lastOkTime: Gauge;

  constructor(private readonly options: ReloaderOptions) {
    const registers = [options.registry];
    this.reloads = new Counter({
      name: 'config_reloads_total',
      help: 'Configuration reloads (SIGHUP), by result: success or failure (the previous configuration kept).',
      labelNames: ['result'] as const,
      registers,
    });
    this.reloads.inc({ result: 'success' }, 0);
    this.reloads.inc({ result: 'failure' }, 0);
    this.lastOk = new Gauge({
      name: 'config_last_reload_successful',
      help: 'Whether the last configuration reload succeeded (1, also before any reload) or failed (0).',
      registers,
    });
    this.lastOk.set(1);
    this.lastOkTime = new Gauge({
      name: 'config_last_reload_success_timestamp_seconds',
      help: 'Time of the last configuration served: start-up or successful reload (Unix seconds).',
      registers,
    });
    this.lastOkTime.set(Date.now() / 1000);
  }

  /** Loads a config with `load` and serves it, or keeps the running one and logs every problem. */
  reload(load: () => Promise<Config>): Promise<ReloadResult> {
    const run = this.chain.then(() => this.reloadNow(load));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(load: () => Promise<Config>): Promise<ReloadResult> {
    const { logger, signer } = this.options;
    if (signer.isClosed) {
      logger.info('Not reloading: shutting down');
      return { ok: false, problems: ['shutting down'] };
    }
    const old = signer.generation;
    logger.info(`Reloading configuration from ${old.config.file}`);
    let config: Config;
    try {
      config = await load();
      const refused = this.options.refuse?.(config);
      if (refused !== undefined) return this.failed([refused]);
      const fixed = REFUSED_ON_RELOAD.filter(({ of }) => !isDeepStrictEqual(of(old.config), of(config)));
      if (fixed.length > 0) {
        return this.failed(
          fixed.map(
            ({ setting }) =>
              `${setting} changed in ${config.file}: a running process cannot apply it; restart signatory (nothing was reloaded)`,
          ),
        );
      }
    } catch (e) {
      return this.failed(isConfigError(e) ? e.problems : [(e as Error).message]);
    }
    for (const w of config.warnings) logger.warn(w);
    for (const { setting, of } of NEEDS_RESTART) {
      if (!isDeepStrictEqual(of(old.config), of(config))) {
        logger.warn(`${setting} changed in ${config.file}; the running process keeps the previous one: restart signatory to apply it`, {
          setting,
        });
      }
    }

    // vaults whose settings did not change are reused; the others are opened now
    const vaults = new Map<string, Vault>();
    const opened: Vault[] = [];
    const closeOpened = () => Promise.allSettled(opened.map((v) => v.close?.()));
    let next: Signer;
    try {
      for (const [name, vc] of config.vaults) {
        const before = old.vaults.get(name);
        if (before !== undefined && isDeepStrictEqual(old.config.vaults.get(name), vc)) {
          vaults.set(name, before);
          continue;
        }
        logger.info('Initializing vault', { vault: vc.driver, vault_name: name });
        const v = await this.options.openVault(name, vc);
        opened.push(v);
        vaults.set(name, v);
      }
      // the running store and listeners stay: the new generation's config says so, so what is logged and served agrees
      const { address, utilityAddress, tls, utilityTls } = old.config.server;
      const { tls: _tls, utilityTls: _utilityTls, ...server } = config.server;
      const served: Config = {
        ...config,
        baseDir: old.config.baseDir,
        watermark: old.config.watermark,
        server: {
          ...server,
          address,
          utilityAddress,
          ...(tls !== undefined ? { tls } : {}),
          ...(utilityTls !== undefined ? { utilityTls } : {}),
        },
      };
      next = await this.options.buildSigner(served, [...vaults.values()]);
      config = served;
    } catch (e) {
      await closeOpened();
      return this.failed([`cannot build the signer: ${(e as Error).message}`]);
    }
    // a vault that cannot list its keys now would take keys away that the running generation serves
    const failed = next.listKeys().failed;
    if (failed.length > 0) {
      await next.close();
      await closeOpened();
      return this.failed(failed.map((f) => `vault ${f.vault} could not list its keys: ${f.error}`));
    }
    if (signer.isClosed) {
      await next.close();
      await closeOpened();
      return { ok: false, problems: ['shutting down'] };
    }
    const gen: Generation = { config, vaults, signer: next };
    void signer.swap(gen);
    const before = new Set(old.config.tezos.keys());
    const after = new Set(config.tezos.keys());
    const added = [...after].filter((k) => !before.has(k));
    const removed = [...before].filter((k) => !after.has(k));
    this.reloads.inc({ result: 'success' });
    this.lastOk.set(1);
    this.lastOkTime.set(Date.now() / 1000);
    logger.info(`Configuration reloaded from ${config.file}`, {
      keys: after.size,
      keys_added: added,
      keys_removed: removed,
      vaults_opened: opened.length,
    });
    this.options.onReloaded?.(gen);
    return { ok: true };
  }

  private failed(problems: readonly string[]): ReloadResult {
    const { logger } = this.options;
    for (const p of problems) logger.error(`Reload: ${p}`);
    logger.error(`Reload failed (${problems.length} problem${problems.length === 1 ? '' : 's'}); still serving the previous configuration`);
    this.reloads.inc({ result: 'failure' });
    this.lastOk.set(0);
    return { ok: false, problems };
  }
}
