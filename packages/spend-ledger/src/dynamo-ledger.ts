import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AwsWatermarkConfig } from '@signatory-ts/config';
import { SignatoryError } from '@signatory-ts/core';
import { createDynamoClient, waitTableActive } from '@signatory-ts/watermark';
import { DocumentLedger, type Change } from './document-ledger';
import { emptyDocument, formatDocument, parseDocument, type LedgerDocument } from './ledger-document';
import { SpendOutcomeUnknownError } from './spend-ledger';

export interface DynamoSpendLedgerOptions {
  /** Start-up messages ("created table"). */
  readonly log?: (message: string) => void;
  /** How long an update may keep losing to concurrent updates of the same key before it fails (nothing reserved). Default 4 × timeout_ms. */
  readonly contentionTimeoutMs?: number;
}

/** The ledger table's key: one item per key hash. */
const KEY = 'pkh';

/**
 * The DynamoDB ledger (`watermark: driver: aws`): one item per key, `{pkh, version, ledger}` in the
 * table `<watermark table>_spend`. An update reads the item (strongly consistent), changes the
 * ledger and puts it back under the condition that `version` is still the one read (or, for a new
 * key, that the item is still missing): DynamoDB's per-item conditional write makes each update
 * atomic across every process and host. An update that loses the race reads again and retries,
 * with a jittered backoff, for up to contentionTimeoutMs; then it fails (nothing reserved).
 * Every call is cut at timeout_ms; a failure is thrown naming the table and the cause.
 */
export class DynamoSpendLedger extends DocumentLedger {
  readonly name = 'aws';
  readonly table: string;
  private readonly client: DynamoDBClient;
  private readonly timeoutMs: number;
  private readonly contentionTimeoutMs: number;
  private readonly where: string;

  private constructor(config: AwsWatermarkConfig, options: DynamoSpendLedgerOptions) {
    super();
    this.table = config.table;
    this.timeoutMs = config.timeoutMs;
    this.contentionTimeoutMs = options.contentionTimeoutMs ?? 4 * config.timeoutMs;
    this.where = `DynamoDB table "${config.table}"${config.endpoint !== undefined ? ` at ${config.endpoint}` : ''}`;
    // throttling, 5xx and network errors retried by the SDK, inside timeout_ms (the abort signal)
    this.client = createDynamoClient(config, { maxAttempts: 3 });
  }

  /**
   * Connects and checks the table (`config.table` is the ledger's own table: openSpendLedger
   * passes `<watermark table>_spend`), creating it when missing and create_table is on.
   */
  static async open(config: AwsWatermarkConfig, options: DynamoSpendLedgerOptions = {}): Promise<DynamoSpendLedger> {
    const ledger = new DynamoSpendLedger(config, options);
    try {
      await ledger.ensureTable(config.createTable, options.log);
    } catch (e) {
      ledger.client.destroy();
      throw e;
    }
    return ledger;
  }

  protected async load(key: string): Promise<LedgerDocument> {
    return (await this.get(key)).doc;
  }

  protected async update<T>(key: string, change: (doc: LedgerDocument) => Change<T>): Promise<T> {
    const deadline = performance.now() + this.contentionTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const { doc, version } = await this.get(key);
      const { result, write } = change(doc);
      if (!write) return result;
      try {
        await this.call('PutItem', (abortSignal) =>
          this.client.send(
            new PutItemCommand({
              TableName: this.table,
              Item: { [KEY]: { S: key }, version: { N: String(version + 1) }, ledger: { S: formatDocument(doc) } },
              ConditionExpression: version === 0 ? 'attribute_not_exists(#k)' : '#v = :v',
              ExpressionAttributeNames: version === 0 ? { '#k': KEY } : { '#v': 'version' },
              ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(version) } } }),
            }),
            { abortSignal },
          ),
        );
        return result;
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
      // another signer updated the key since it was read: read again
      const backoff = Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * Math.random();
      if (performance.now() + backoff >= deadline) {
        throw new SignatoryError(
          'internal',
          `spend ledger aws: key ${key} kept changing under ${attempt} attempts for ${this.contentionTimeoutMs} ms on ${this.where}; nothing was reserved or signed, retry`,
        );
      }
      await sleep(backoff);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** The key's ledger and its version (0: no item yet). */
  private async get(key: string): Promise<{ doc: LedgerDocument; version: number }> {
    const r = await this.call('GetItem', (abortSignal) =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: { [KEY]: { S: key } }, ConsistentRead: true }), { abortSignal }),
    );
    if (r.Item === undefined) return { doc: emptyDocument(), version: 0 };
    const version = Number(r.Item.version?.N);
    const text = r.Item.ledger?.S;
    if (!Number.isSafeInteger(version) || version < 1 || text === undefined) {
      throw new SignatoryError(
        'internal',
        `spend ledger aws: the item of ${key} in ${this.where} has no version or ledger; nothing was signed`,
      );
    }
    return { doc: parseDocument(text, `item ${key} of ${this.where}`), version };
  }

  /** One call, cut at timeout_ms (the SDK's retries included); a failure other than a refused condition names the table and the cause. */
  private async call<T>(
    operation: string,
    fn: (signal: AbortSignal) => Promise<T>,
    expected: (e: unknown) => boolean = isConditionFailed,
  ): Promise<T> {
    try {
      return await fn(AbortSignal.timeout(this.timeoutMs));
    } catch (e) {
      if (expected(e)) throw e;
      const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const why =
        err.name === 'TimeoutError' || err.name === 'AbortError'
          ? `no answer within ${this.timeoutMs} ms`
          : `${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
      // no answer to a write (a timeout, a connection lost): DynamoDB may have applied it all the same
      const unknown = operation === 'PutItem' && err.$metadata?.httpStatusCode === undefined;
      if (unknown)
        throw new SpendOutcomeUnknownError(
          'internal',
          `spend ledger aws: ${operation} on ${this.where} failed (${why}); the write may still have been applied`,
          {
            cause: e,
          },
        );
      throw new SignatoryError(
        'internal',
        `spend ledger aws: ${operation} on ${this.where} failed (${why}); nothing was reserved or signed`,
        {
          cause: e,
        },
      );
    }
  }

  private async ensureTable(createTable: boolean, log?: (message: string) => void): Promise<void> {
    let exists = true;
    try {
      const t = await this.call(
        'DescribeTable',
        (abortSignal) => this.client.send(new DescribeTableCommand({ TableName: this.table }), { abortSignal }),
        isNotFound,
      );
      const key = t.Table?.KeySchema ?? [];
      const type = t.Table?.AttributeDefinitions?.find((a) => a.AttributeName === KEY)?.AttributeType;
      if (key.length !== 1 || key[0]?.AttributeName !== KEY || key[0]?.KeyType !== 'HASH' || type !== 'S') {
        throw new SignatoryError(
          'config_invalid',
          `spend ledger aws: ${this.where} exists but its key is not ${KEY} (HASH, S): it is not a spend ledger table. ` +
            `The ledger uses the table "<watermark.config.table>_spend": choose another watermark.config.table, or remove that table`,
        );
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
      exists = false;
    }
    if (exists) {
      await waitTableActive(this.client, this.table, `spend ledger aws: ${this.where}`);
      return;
    }
    if (!createTable) {
      throw new SignatoryError(
        'config_invalid',
        `spend ledger aws: ${this.where} does not exist: create it (key ${KEY} HASH S; see docs/policy.md) or set watermark.config.create_table: true`,
      );
    }
    try {
      await this.call(
        'CreateTable',
        (abortSignal) =>
          this.client.send(
            new CreateTableCommand({
              TableName: this.table,
              KeySchema: [{ AttributeName: KEY, KeyType: 'HASH' }],
              AttributeDefinitions: [{ AttributeName: KEY, AttributeType: 'S' }],
              BillingMode: 'PAY_PER_REQUEST',
            }),
            { abortSignal },
          ),
        isInUse,
      );
    } catch (e) {
      if (!isInUse(e)) throw e; // another replica created it at the same moment
    }
    await waitTableActive(this.client, this.table, `spend ledger aws: ${this.where}`);
    log?.(`DynamoDB spend ledger created table '${this.table}'`);
  }
}

const isConditionFailed = (e: unknown) => e instanceof ConditionalCheckFailedException;
const isNotFound = (e: unknown) => (e as { name?: string }).name === 'ResourceNotFoundException';
const isInUse = (e: unknown) => (e as { name?: string }).name === 'ResourceInUseException';
