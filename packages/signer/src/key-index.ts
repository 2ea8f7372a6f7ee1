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
  readonly now?: () => number;
}

/**
 * pkh -> KeyRef, built by listing every vault once at start-up. The hot path is one Map lookup:
 * no GetPublicKey, no base58 per request. An unknown pkh triggers a re-list, single-flight and
 * throttled, so a key added to KMS while the signer runs is found without a restart.
 */
export class KeyIndex {
  private keys = new Map<string, KeyRef>();
  private last: IndexSnapshot = { keys: [], skipped: [], failed: [] };
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private inflight: Promise<IndexSnapshot> | undefined;
  private readonly interval: number;
  private readonly now: () => number;

  constructor(
    private readonly vaults: readonly Vault[],
    options: KeyIndexOptions = {},
  ) {
    this.interval = options.refreshIntervalMs ?? 30_000;
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

  /**
   * The key for `pkh`; re-lists the vaults if it is unknown and the last listing is older than the
   * refresh interval. Throws key_not_found (Signatory's text) when no vault holds it, and
   * vault_unavailable when the re-list found nothing and some vault failed to answer.
   */
  async get(pkh: string): Promise<KeyRef> {
    const hit = this.keys.get(pkh);
    if (hit !== undefined) return hit;
    if (this.inflight !== undefined || this.now() - this.lastRefresh >= this.interval) {
      const snap = await this.refresh();
      const found = this.keys.get(pkh);
      if (found !== undefined) return found;
      if (snap.failed.length > 0) {
        throw new SignatoryError(
          'vault_unavailable',
          `${pkh} is in no vault that answered; vault listing failed: ${snap.failed.map((f) => `${f.vault}: ${f.error}`).join('; ')}`,
        );
      }
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
    return snap;
  }
}

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
