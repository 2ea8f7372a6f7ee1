import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { AwsWatermarkConfig } from '@signatory-ts/config';
import { SignatoryError, slotKey, type Mark, type Slot } from '@signatory-ts/core';
import {
  decodeItem,
  encodeItem,
  firstItemBehind,
  holds,
  itemKey,
  MAX_INT32,
  parseIdx,
  rollForwardMark,
  SLOT_ITEMS,
  slotKindOf,
  slotMark,
  type Item,
  type StoredItem,
} from './dynamo-item';
import { dynamoErrorType, dynamoFailure, isRetryable, type DynamoContext } from './dynamo-failure';
import { createDynamoClient } from './dynamo-client';
import { ensureTable } from './dynamo-table';
import { checkMark, type CommitResult, type SignedMark, type WatermarkIoObserver, type WatermarkStore } from './watermark-store';
import { ioReporter, type IoReporter } from './io-reporter';

export interface DynamoStoreOptions {
  /** Told of every DynamoDB call, with its duration and error type (Go's watermark_io_* metrics). */
  readonly onIo?: WatermarkIoObserver;
  /** Start-up messages (Go Signatory's "created table" / "using existing table"). */
  readonly log?: (message: string) => void;
  /** Attempts per call (throttling, 5xx and network errors are retried with backoff), all inside timeout_ms. Default 3. */
  readonly maxAttempts?: number;
  /** TCP connect timeout (ms). Default 1000. */
  readonly connectionTimeoutMs?: number;
}

/** Go's condition: the item is new, or its (lvl, round) is strictly below the new one, level first. */
const ADVANCES = 'attribute_not_exists(#idx) OR #lvl < :lvl OR (#lvl = :lvl AND #round < :round)';
const ADVANCES_NAMES = { '#idx': 'idx', '#lvl': 'lvl', '#round': 'round' };
/** An item no commit writes (its idx is no `<chain>/<pkh>`: list() skips it, Go never reads it), probed by health(). */
const PROBE_KEY: Item = { idx: { S: 'signatory-ts/health' }, request: { S: 'probe' } };

/**
 * The DynamoDB store (`watermark: driver: aws`), on Go Signatory's table and items, so a fleet of
 * Go and TS signers on one table never both sign one slot.
 *
 * - commit = for each item of the slot, in a fixed order, one PutItem of the whole item under Go's
 *   own condition (strictly above, level first): DynamoDB's per-item conditional write is the
 *   compare-and-set across every process and host. `committed` only when every item holds the new
 *   mark; a later item refused after an earlier one was written leaves a lost round, never a
 *   released signature;
 * - replay rule: an identical request is answered with the stored signature only when every item of
 *   the slot holds it. A slot left half-written (a writer died, or is still writing, between its
 *   puts) is finished by the next reader with the first item's mark and signature, under the same
 *   condition; a Go-written item (no signature) is never replayed;
 * - reads are strongly consistent; every call has a timeout (timeout_ms, its retries included), and
 *   a failed call is thrown as an error naming the store and the cause, never returned as
 *   `rejected`: an unreachable store must not look like a double-signing refusal.
 */
export class DynamoWatermarkStore implements WatermarkStore {
  readonly name = 'aws';
  readonly table: string;
  private readonly client: DynamoDBClient;
  private ctx: DynamoContext;
  private readonly observe: IoReporter;
  private checking: Promise<string | undefined> | undefined;
  /** Why the last write failed, until a write succeeds (see health()). */
  private writeFailure: string | undefined;
  private readonly maxAttempts: number;
  private readonly baseBackoffMs = 50;
  private readonly maxBackoffMs = 400;

  private constructor(config: AwsWatermarkConfig, options: DynamoStoreOptions) {
    this.table = config.table;
    this.observe = ioReporter(options.onIo, { backend: 'aws', table: config.table });
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.ctx = {
      table: config.table,
      timeoutMs: config.timeoutMs,
      ...(config.region !== undefined ? { region: config.region } : {}),
      ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    };
    // call() retries, so the timeout bounds the retries too and the last error is known
    this.client = createDynamoClient(config, {
      maxAttempts: 1,
      ...(options.connectionTimeoutMs !== undefined ? { connectionTimeoutMs: options.connectionTimeoutMs } : {}),
    });
  }

  /** Connects, checks (or creates) the table, and returns the store; throws what to fix otherwise. */
  static async open(config: AwsWatermarkConfig, options: DynamoStoreOptions = {}): Promise<DynamoWatermarkStore> {
    const store = new DynamoWatermarkStore(config, options);
    try {
      await store.checkRegion();
      await ensureTable({
        client: store.client,
        table: store.table,
        createTable: config.createTable,
        call: (op, name, fn, expected) => store.call(op, name, fn, expected),
        ...(options.log !== undefined ? { log: options.log } : {}),
      });
    } catch (e) {
      store.client.destroy();
      throw e;
    }
    return store;
  }

  async get(slot: Slot): Promise<Mark | undefined> {
    const requests = SLOT_ITEMS[slot.kind];
    const items = await Promise.all(requests.map((r) => this.getItem(slot, r)));
    if (firstItemBehind(items)) items[0] = await this.getItem(slot, requests[0]!);
    const roll = rollForwardMark(items);
    if (roll !== undefined) {
      for (let i = 1; i < requests.length; i++) {
        if (holds(items[i], roll)) continue;
        const r = await this.put(slot, requests[i]!, roll);
        items[i] = r.written ? { request: requests[i]!, ...roll } : r.item;
      }
    }
    return slotMark(items);
  }

  async commit(slot: Slot, next: SignedMark): Promise<CommitResult> {
    checkMark(slot, next);
    if (next.level > MAX_INT32 || next.round > MAX_INT32) {
      throw new SignatoryError('bad_request', `watermark: level and round must fit Go Signatory's int32 (at most ${MAX_INT32})`);
    }
    // the signature every item must end up holding: ours, or the one already in the first item for
    // these very bytes (an identical request on another instance won the first put)
    let winner: string | undefined;
    for (const [i, request] of SLOT_ITEMS[slot.kind].entries()) {
      const mark = { ...next, signature: winner ?? next.signature };
      const r = await this.put(slot, request, mark);
      if (r.written) {
        winner ??= next.signature;
        continue;
      }
      const old = r.item;
      if (old === undefined) {
        // refused, then gone before it could be read: an operator's reset raced this commit
        throw new SignatoryError(
          'internal',
          `watermark store aws: the ${request} item of ${slotKey(slot)} changed during the commit; nothing was released, retry`,
        );
      }
      if (i === 0 && holds(old, { level: next.level, round: next.round, digest: next.digest })) {
        winner = old.signature;
        continue;
      }
      if (holds(old, mark)) continue;
      return { status: 'rejected', stored: markOf(old) };
    }
    return winner === next.signature ? { status: 'committed' } : { status: 'replay', signature: winner! };
  }

  async *list(): AsyncIterable<[Slot, Mark]> {
    const slots = new Map<string, { slot: Slot; items: (StoredItem | undefined)[] }>();
    let start: Item | undefined;
    do {
      const page = await this.call('read', 'Scan', (abortSignal) =>
        this.client.send(new ScanCommand({ TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start }), { abortSignal }),
      );
      for (const raw of page.Items ?? []) {
        const at = parseIdx(raw.idx?.S ?? '');
        const kind = slotKindOf(raw.request?.S ?? '');
        if (at === undefined || kind === undefined) continue; // not a signer's mark (e.g. a health probe)
        const key = `${raw.idx!.S}/${kind}`;
        const entry = slots.get(key) ?? { slot: { ...at, kind }, items: SLOT_ITEMS[kind].map(() => undefined) };
        entry.items[SLOT_ITEMS[kind].indexOf(raw.request!.S!)] = decodeItem(raw, this.table);
        slots.set(key, entry);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    for (const { slot, items } of slots.values()) yield [slot, slotMark(items)!];
  }

  async reset(slot: Slot): Promise<boolean> {
    let removed = false;
    for (const request of SLOT_ITEMS[slot.kind]) {
      const r = await this.call('write', 'DeleteItem', (abortSignal) =>
        this.client.send(new DeleteItemCommand({ TableName: this.table, Key: itemKey(slot, request), ReturnValues: 'ALL_OLD' }), {
          abortSignal,
        }),
      );
      if (r.Attributes !== undefined) removed = true;
    }
    return removed;
  }

  /**
   * Undefined while the table answers; else why not (for /healthz). One GetItem of a probe key; after
   * a failed write (no PutItem permission, throttled writes) one PutItem of the probe item instead,
   * until one succeeds, so a store that reads but cannot write is unhealthy, and turns healthy again
   * without waiting for a signing request. Concurrent calls share one probe.
   */
  health(): Promise<string | undefined> {
    // a probe already in flight answers this call too: starting another would leave its failure unhandled
    // (which ends the process) and add load to a table that may already be throttled
    if (this.checking !== undefined) return this.checking;
    const probe =
      this.writeFailure === undefined
        ? this.call('read', 'GetItem', (abortSignal) =>
            this.client.send(new GetItemCommand({ TableName: this.table, Key: PROBE_KEY }), { abortSignal }),
          )
        : this.call('write', 'PutItem', (abortSignal) =>
            this.client.send(
              new PutItemCommand({ TableName: this.table, Item: { ...PROBE_KEY, probed: { S: new Date().toISOString() } } }),
              { abortSignal },
            ),
          );
    return (this.checking = probe
      .then(
        () => undefined,
        (e: unknown) => (e as Error).message,
      )
      .finally(() => (this.checking = undefined)));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async getItem(slot: Slot, request: string): Promise<StoredItem | undefined> {
    const r = await this.call('read', 'GetItem', (abortSignal) =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: itemKey(slot, request), ConsistentRead: true }), { abortSignal }),
    );
    return r.Item === undefined ? undefined : decodeItem(r.Item, this.table);
  }

  /**
   * One conditional PutItem of the whole item (Go's condition). Refused: the item as it stands
   * (returned by DynamoDB with the refusal, else read back consistently).
   */
  private async put(
    slot: Slot,
    request: string,
    mark: SignedMark,
  ): Promise<{ written: true } | { written: false; item: StoredItem | undefined }> {
    try {
      await this.call('write', 'PutItem', (abortSignal) =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: encodeItem(slot, request, mark),
            ConditionExpression: ADVANCES,
            ExpressionAttributeNames: ADVANCES_NAMES,
            ExpressionAttributeValues: { ':lvl': { N: String(mark.level) }, ':round': { N: String(mark.round) } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal },
        ),
      );
      return { written: true };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      return { written: false, item: e.Item !== undefined ? decodeItem(e.Item, this.table) : await this.getItem(slot, request) };
    }
  }

  /**
   * Runs one DynamoDB call: retried on throttling, 5xx and network errors, cut at timeout_ms
   * (retries included), reported to onIo, and a failure thrown as dynamoFailure's error. An
   * `expected` answer (by default a refused condition) is not a failure of the store: it is
   * rethrown as it is, for the caller.
   */
  private async call<T>(
    operation: 'read' | 'write' | 'create',
    name: string,
    fn: (signal: AbortSignal) => Promise<T>,
    expected: (e: unknown) => boolean = (e) => e instanceof ConditionalCheckFailedException,
  ): Promise<T> {
    const t0 = performance.now();
    const deadline = t0 + this.ctx.timeoutMs;
    let last: unknown;
    for (let attempts = 1; ; attempts++) {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            controller.abort();
            reject(new Error('timeout'));
          },
          Math.max(1, deadline - performance.now()),
        );
      });
      try {
        const out = await Promise.race([fn(controller.signal), late]);
        this.observe(operation, t0);
        if (operation === 'write') this.writeFailure = undefined;
        return out;
      } catch (e) {
        if (expected(e)) {
          this.observe(operation, t0);
          if (operation === 'write') this.writeFailure = undefined; // the write reached the table: only its condition said no
          throw e;
        }
        // cut by the timeout after a retryable failure: that failure is the one to report
        const timedOut = controller.signal.aborted && last === undefined;
        const cause = controller.signal.aborted && last !== undefined ? last : e;
        const backoff = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (attempts - 1)) * (0.5 + Math.random() / 2);
        if (controller.signal.aborted || !isRetryable(e) || attempts >= this.maxAttempts || performance.now() + backoff >= deadline) {
          this.observe(operation, t0, dynamoErrorType(cause, timedOut));
          const failure = dynamoFailure(this.ctx, name, cause, timedOut, attempts);
          if (operation === 'write') this.writeFailure = failure.message;
          throw failure;
        }
        last = e;
        await sleep(backoff);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Fails with what to set when no region is configured anywhere (config, environment, profile); else records it. */
  private async checkRegion(): Promise<void> {
    let region: string;
    try {
      region = await this.client.config.region();
    } catch (e) {
      throw dynamoFailure(this.ctx, 'start-up', e, false);
    }
    this.ctx = { ...this.ctx, region }; // messages name the region, wherever it came from
  }
}

function markOf(item: StoredItem): Mark {
  return {
    level: item.level,
    round: item.round,
    ...(item.digest !== undefined ? { digest: item.digest } : {}),
    ...(item.signature !== undefined ? { signature: item.signature } : {}),
  };
}
