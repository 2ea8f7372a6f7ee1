import { SignatoryError, type KeyRef, type Vault } from '@signatory-ts/core';

/** A key a vault listed but cannot use, with the vault's reason. */
export interface SkippedKey {
  readonly vault: string;
  readonly id: string;
  readonly reason: string;
}

/** A vault whose listing failed as a whole. */
export interface VaultFailure {
  readonly vault: string;
  readonly error: string;
}

export interface IndexSnapshot {
  readonly keys: readonly KeyRef[];
  readonly skipped: readonly SkippedKey[];
  readonly failed: readonly VaultFailure[];
}

export interface KeyIndexOptions {
  /**
   * A lookup of a pkh the index does not hold re-lists the vaults at most once per this many ms
   * (default 30 000). Go Signatory re-lists on every unknown pkh; with KMS's GetPublicKey quota
   * (about 5 per second) a client asking for a wrong pkh in a loop would starve the real keys.
   */
  readonly refreshIntervalMs?: number;
  /**
   * After a listing in which some vault failed, the vaults are listed again in the background after
   * this many ms (default 500), doubling per failed listing up to 5 s. A listing with no failure
   * stops it. Lookups of unknown pkhs still re-list at most once per refreshIntervalMs.
   */
  readonly retryBaseMs?: number;
  readonly now?: () => number;
}

/**
 * pkh -> KeyRef, built by listing every vault once at start-up. The hot path is one Map lookup:
 * no GetPublicKey, no base58 per request. An unknown pkh triggers a re-list, single-flight and
 * throttled, so a key added to KMS while the signer runs is found without a restart. While a vault's
 * last listing failed (KMS down, wrong credentials), an unknown pkh is a vault failure (5xx), not
 * "not found", and the vaults are re-listed with backoff until they answer.
 */
export class KeyIndex {
  private keys = new Map<string, KeyRef>();
  private last: IndexSnapshot = { keys: [], skipped: [], failed: [] };
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private inflight: Promise<IndexSnapshot> | undefined;
  private readonly interval: number;
  private readonly retryBase: number;
  private readonly now: () => number;
  /** Listings in a row in which some vault failed. */
  private failedListings = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly vaults: readonly Vault[],
    options: KeyIndexOptions = {},
  ) {
    this.interval = options.refreshIntervalMs ?? 30_000;
    this.retryBase = Math.min(options.retryBaseMs ?? 500, this.interval);
    this.now = options.now ?? Date.now;
  }

  /** Lists every vault now (single-flight) and replaces the index. */
  refresh(): Promise<IndexSnapshot> {
    this.inflight ??= this.listAll().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** The last listing's result. */
  get snapshot(): IndexSnapshot {
    return this.last;
  }

  /** The key for `pkh` held right now, without any vault call. */
  peek(pkh: string): KeyRef | undefined {
    return this.keys.get(pkh);
  }

  /** Stops the background re-listing. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  /**
   * The key for `pkh`; re-lists the vaults if it is unknown and the last listing is older than the
   * refresh interval. Throws key_not_found
   * (Signatory's text) when no vault holds it, and vault_unavailable naming the vault's problem
   * while some vault's last listing failed: the key may be in that vault.
   */
  async get(pkh: string): Promise<KeyRef> {
    const hit = this.keys.get(pkh);
    if (hit !== undefined) return hit;
    // at most once per interval, also while a vault is failing (its recovery is the background retry's job):
    // any client can ask for unknown pkhs, and each listing spends the KMS request quota Sign needs
    if (this.inflight !== undefined || this.now() - this.lastRefresh >= this.interval) {
      await this.refresh();
      const found = this.keys.get(pkh);
      if (found !== undefined) return found;
    }
    const failed = this.last.failed;
    if (failed.length > 0) {
      throw new SignatoryError(
        'vault_unavailable',
        `${pkh} is in no vault that answered, and ${failed.map((f) => `vault ${f.vault} could not list its keys: ${f.error}`).join('; ')}. ` +
          'Fix the vault; it is listed again automatically',
      );
    }
    throw new SignatoryError('key_not_found', 'this key not found in any vault');
  }

  private async listAll(): Promise<IndexSnapshot> {
    this.lastRefresh = this.now();
    const results = await Promise.all(this.vaults.map((v) => listVault(v)));
    const keys = new Map<string, KeyRef>();
    const snap = { keys: [] as KeyRef[], skipped: [] as SkippedKey[], failed: [] as VaultFailure[] };
    for (const [i, r] of results.entries()) {
      const vault = this.vaults[i]!;
      if ('error' in r) {
        snap.failed.push({ vault: vault.name, error: r.error });
        // keep what this vault gave before: a transient ListKeys failure must not drop working keys
        for (const k of this.keys.values()) if (k.vault === vault.name && !keys.has(k.pkh)) keys.set(k.pkh, k);
        continue;
      }
      for (const k of r.keys) if (!keys.has(k.pkh)) keys.set(k.pkh, k);
      snap.skipped.push(...r.skipped);
    }
    snap.keys.push(...keys.values());
    this.keys = keys;
    this.last = snap;
    this.scheduleRetry(snap.failed.length > 0);
    return snap;
  }

  /**
   * After a failed listing: list again in the background, backing off up to 5 s (or the refresh
   * interval if shorter): one listing per 5 s is a small share of the KMS quota, and a vault that
   * comes back is served within seconds.
   */
  private scheduleRetry(failed: boolean): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!failed) {
      this.failedListings = 0;
      return;
    }
    if (this.closed) return;
    const delay = Math.min(this.interval, MAX_RETRY_DELAY_MS, this.retryBase * 2 ** this.failedListings);
    this.failedListings += 1;
    this.retryTimer = setTimeout(() => void this.refresh(), delay);
    this.retryTimer.unref();
  }
}

const MAX_RETRY_DELAY_MS = 5000;

async function listVault(v: Vault): Promise<{ keys: KeyRef[]; skipped: SkippedKey[] } | { error: string }> {
  const keys: KeyRef[] = [];
  const skipped: SkippedKey[] = [];
  try {
    for await (const l of v.list()) {
      if (l.ok) keys.push(l.key);
      else skipped.push({ vault: v.name, id: l.id, reason: l.reason });
    }
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  return { keys, skipped };
}
