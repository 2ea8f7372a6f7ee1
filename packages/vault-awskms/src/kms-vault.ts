import { GetPublicKeyCommand, ListAliasesCommand, ListKeysCommand, type KMSClient, type ListKeysCommandOutput } from '@aws-sdk/client-kms';
import type { AwsKmsConfig } from '@signatory-ts/config';
import { publicKeyFromSpki, SignatoryError, type Listed, type Vault } from '@signatory-ts/core';
import { callWithRetry, type RetryOptions } from './call-with-retry';
import { createKmsClient } from './create-kms-client';
import { explainKmsFailure, KmsCallFailed, toSignatoryError, type KmsCallContext } from './kms-failure';
import { AwsKmsKey, type KmsSigningContext } from './kms-key';
import { SIGNING_BY_KEY_SPEC, unusableKeySpec } from './key-spec';

/**
 * `driver: awskms` settings as the config package validated them, plus tuning knobs with safe
 * defaults.
 */
export interface AwsKmsVaultOptions extends AwsKmsConfig {
  /** Time for one KMS operation including retries (ms). Default 5000. */
  readonly deadlineMs?: number;
  /**
   * Longest one attempt may wait for KMS before it is aborted and retried (ms). Default: half the
   * deadline, at most 10 s: a KMS slower than any fixed cut still answers on the first attempt if
   * the deadline is long enough (3.1 s under a 7 s deadline), and a hung keep-alive connection is
   * retried on a new one within the deadline (2.5 s into the daemon's 5 s).
   */
  readonly attemptTimeoutMs?: number;
  /** TCP connect timeout (ms). Default 1000. */
  readonly connectionTimeoutMs?: number;
  /** First retry backoff (ms), doubling up to 1000. Default 50. */
  readonly retryBaseDelayMs?: number;
  /** Sockets the client may open to KMS (keep-alive pool; calls beyond it queue for a socket). Default 50. */
  readonly maxSockets?: number;
  /** Parallel GetPublicKey calls while listing. Default 8. */
  readonly listConcurrency?: number;
  /** ListKeys / ListAliases page size. Default 100 (ListAliases at most 100). */
  readonly listPageSize?: number;
  /** Notes that are not about one key (e.g. aliases could not be listed). Never secrets. */
  readonly log?: (message: string) => void;
}

/** The default attempt timeout's ceiling, for long deadlines (ms). */
const MAX_DEFAULT_ATTEMPT_MS = 10_000;

interface Loaded {
  readonly id: string;
  readonly result: Listed;
}

/**
 * AWS KMS as a vault. Lists the account/region's keys (or the configured ones), keeps each usable
 * key's public key after the first read, and signs through KMS with retries inside a deadline.
 * Keys it cannot use are listed with the reason; one bad key never stops the others.
 */
export class AwsKmsVault implements Vault {
  readonly name = 'AWSKMS';
  /** The SDK client, for key management (create/import) on the same settings. */
  readonly client: KMSClient;
  private readonly ctx: KmsSigningContext;
  private readonly opts: AwsKmsVaultOptions;
  /** ARN, and every id/alias a key was asked for by -> key; filled by list()/key(). */
  private readonly cache = new Map<string, AwsKmsKey>();

  constructor(options: AwsKmsVaultOptions = {}) {
    this.opts = options;
    this.client = createKmsClient(options, {
      ...(options.connectionTimeoutMs !== undefined ? { connectionTimeoutMs: options.connectionTimeoutMs } : {}),
      ...(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {}),
    });
    const retry: RetryOptions = {
      deadlineMs: options.deadlineMs ?? 5000,
      attemptTimeoutMs: options.attemptTimeoutMs ?? Math.min(Math.ceil((options.deadlineMs ?? 5000) / 2), MAX_DEFAULT_ATTEMPT_MS),
      baseDelayMs: options.retryBaseDelayMs ?? 50,
      maxDelayMs: 1000,
    };
    this.ctx = { client: this.client, retry, region: options.region, endpoint: options.endpoint };
  }

  private call<T>(context: Omit<KmsCallContext, 'region' | 'endpoint'>, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return callWithRetry({ ...context, region: this.opts.region, endpoint: this.opts.endpoint }, this.ctx.retry, run);
  }

  /**
   * Every key the vault can see, usable or not (with the reason), in ListKeys / configured order.
   * Pipelined: ListAliases runs alongside ListKeys, the next ListKeys page is fetched while the
   * current page's GetPublicKey calls run, and up to `listConcurrency` GetPublicKey calls are in
   * flight at any time (a sliding window, not batches that wait for their slowest call).
   */
  async *list(): AsyncIterable<Listed> {
    const aliases = this.aliasesByKey();
    const ids = this.opts.keys !== undefined ? this.opts.keys : this.listedKeyIds();
    const limit = this.concurrency();
    const window: Promise<Loaded>[] = [];
    const seen = new Set<string>();
    const source = (Symbol.asyncIterator in ids ? ids : toAsync(ids))[Symbol.asyncIterator]();
    let exhausted = false;
    for (;;) {
      while (!exhausted && window.length < limit) {
        const next = await source.next();
        if (next.done === true) exhausted = true;
        else window.push(this.load(next.value, aliases));
      }
      const head = window.shift();
      if (head === undefined) return;
      const loaded = await head;
      const arn = loaded.result.ok ? loaded.result.key.id : loaded.id;
      if (seen.has(arn)) continue; // a configured key named twice (id and alias)
      seen.add(arn);
      yield loaded.result;
    }
  }

  /** Key ids from ListKeys, page by page; the next page is requested as soon as one arrives. */
  private async *listedKeyIds(): AsyncIterable<string> {
    let next: Promise<ListKeysCommandOutput> | undefined = this.listKeysPage(undefined);
    while (next !== undefined) {
      const page: ListKeysCommandOutput = await next;
      const marker = page.Truncated ? page.NextMarker : undefined;
      next = marker !== undefined ? this.listKeysPage(marker) : undefined;
      next?.catch(() => undefined); // awaited on the next turn; no unhandled rejection if the caller stops early
      for (const k of page.Keys ?? []) {
        const id = k.KeyArn ?? k.KeyId;
        if (id !== undefined && id !== '') yield id;
      }
    }
  }

  private async listKeysPage(marker: string | undefined): Promise<ListKeysCommandOutput> {
    try {
      return await this.call({ operation: 'ListKeys' }, (abortSignal) =>
        this.client.send(new ListKeysCommand({ Limit: this.opts.listPageSize ?? 100, ...(marker ? { Marker: marker } : {}) }), {
          abortSignal,
        }),
      );
    } catch (e) {
      throw e instanceof KmsCallFailed ? toSignatoryError(e) : e;
    }
  }

  /**
   * The usable key for a key id, ARN or alias (GetPublicKey once, then cached). Throws a
   * SignatoryError that says why when the key cannot be used.
   */
  async key(id: string): Promise<AwsKmsKey> {
    const known = this.cache.get(id) ?? [...this.cache.values()].find((k) => k.aliases.includes(id));
    if (known) return known;
    const loaded = await this.load(id, Promise.resolve(new Map()));
    if (!loaded.result.ok) throw new SignatoryError('key_not_found', `${id}: ${loaded.result.reason}`);
    return loaded.result.key as AwsKmsKey;
  }

  /** Resolves when KMS answers a cheap call with these settings; rejects with the reason otherwise. */
  async ready(): Promise<void> {
    try {
      const first = this.opts.keys?.[0];
      if (first !== undefined) {
        await this.call({ operation: 'GetPublicKey', keyId: first }, (abortSignal) =>
          this.client.send(new GetPublicKeyCommand({ KeyId: first }), { abortSignal }),
        );
      } else {
        await this.call({ operation: 'ListKeys' }, (abortSignal) => this.client.send(new ListKeysCommand({ Limit: 1 }), { abortSignal }));
      }
    } catch (e) {
      throw e instanceof KmsCallFailed ? toSignatoryError(e) : e;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private concurrency(): number {
    return Math.max(1, this.opts.listConcurrency ?? 8);
  }

  /** GetPublicKey and turn the answer into a key or a reason. Never throws. */
  private async load(id: string, aliasesByArn: Promise<ReadonlyMap<string, readonly string[]>>): Promise<Loaded> {
    const cached = this.cache.get(id);
    if (cached) return { id, result: { ok: true, key: cached } };
    let r;
    try {
      r = await this.call({ operation: 'GetPublicKey', keyId: id }, (abortSignal) =>
        this.client.send(new GetPublicKeyCommand({ KeyId: id }), { abortSignal }),
      );
    } catch (e) {
      const reason = e instanceof KmsCallFailed ? e.message : explainKmsFailure({ operation: 'GetPublicKey', keyId: id }, e);
      return { id, result: { ok: false, id, reason } };
    }
    const arn = r.KeyId ?? id;
    const spec = r.KeySpec ?? r.CustomerMasterKeySpec;
    const fail = (reason: string): Loaded => ({ id: arn, result: { ok: false, id: arn, reason } });
    if (r.KeyUsage !== undefined && r.KeyUsage !== 'SIGN_VERIFY')
      return fail(`key usage is ${r.KeyUsage}, not SIGN_VERIFY; ${unusableKeySpec(spec)}`);
    if (spec === undefined || SIGNING_BY_KEY_SPEC[spec] === undefined) return fail(unusableKeySpec(spec));
    if (r.PublicKey === undefined) return fail('KMS returned no public key');
    const existing = this.cache.get(arn);
    if (existing) {
      this.cache.set(id, existing);
      return { id: arn, result: { ok: true, key: existing } };
    }
    const aliases = await aliasesByArn;
    const again = this.cache.get(arn); // another load of the same key finished meanwhile
    if (again) {
      this.cache.set(id, again);
      return { id: arn, result: { ok: true, key: again } };
    }
    try {
      const names = [...(aliases.get(arn) ?? []), ...(id.startsWith('alias/') ? [id] : [])];
      const key = new AwsKmsKey(this.ctx, arn, spec, publicKeyFromSpki(r.PublicKey), [...new Set(names)]);
      this.cache.set(arn, key);
      this.cache.set(id, key);
      return { id: arn, result: { ok: true, key } };
    } catch (e) {
      return fail(`public key cannot be used: ${(e as Error).message}`);
    }
  }

  /** Key ARN -> alias names, from ListAliases. Aliases are a convenience: failure is logged, not fatal. */
  private async aliasesByKey(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    let marker: string | undefined;
    try {
      do {
        const page = await this.call({ operation: 'ListAliases' }, (abortSignal) =>
          this.client.send(
            new ListAliasesCommand({ Limit: Math.min(100, this.opts.listPageSize ?? 100), ...(marker ? { Marker: marker } : {}) }),
            { abortSignal },
          ),
        );
        for (const a of page.Aliases ?? []) {
          if (a.TargetKeyId === undefined || a.AliasName === undefined || a.AliasArn === undefined) continue;
          // AliasArn is arn:aws:kms:<region>:<account>:alias/<name>; the key ARN has key/<id> in its place.
          const arn = a.AliasArn.replace(/:alias\/.*$/, `:key/${a.TargetKeyId}`);
          out.set(arn, [...(out.get(arn) ?? []), a.AliasName]);
        }
        marker = page.Truncated ? page.NextMarker : undefined;
      } while (marker !== undefined);
    } catch (e) {
      this.opts.log?.(`aliases not listed, keys are shown by ARN only: ${e instanceof Error ? e.message : String(e)}`);
    }
    return out;
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncIterable<T> {
  yield* items;
}
