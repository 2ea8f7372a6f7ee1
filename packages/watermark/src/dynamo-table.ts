import {
  CreateTableCommand,
  DescribeTableCommand,
  waitUntilTableExists,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { SignatoryError } from '@signatory-ts/core';

/** Runs one DynamoDB call with the store's timeout, metrics and error wording (DynamoWatermarkStore.call). */
export type DynamoCall = <T>(
  operation: 'read' | 'create',
  name: string,
  fn: (signal: AbortSignal) => Promise<T>,
  /** Answers that are not failures of the store: rethrown as they are, not counted as io errors. */
  expected?: (e: unknown) => boolean,
) => Promise<T>;

/** Go Signatory's key schema: `idx` (HASH, S) and `request` (RANGE, S). */
const KEY_SCHEMA = [
  { AttributeName: 'idx', KeyType: 'HASH', AttributeType: 'S' },
  { AttributeName: 'request', KeyType: 'RANGE', AttributeType: 'S' },
] as const;

/** Longest wait for a table being created to become ACTIVE (Go Signatory waits 5 minutes too). */
const ACTIVE_WAIT_SECONDS = 300;

export interface EnsureTableOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly createTable: boolean;
  readonly call: DynamoCall;
  readonly log?: (message: string) => void;
}

/**
 * Makes sure the table is there with Go Signatory's key schema, before the first request:
 * DescribeTable first (so a role without dynamodb:CreateTable works on an existing table); when
 * it is missing and create_table is on, CreateTable with Go's key schema (on-demand billing) and
 * wait for ACTIVE. A table with another key schema stops the start with what was found.
 */
export async function ensureTable(o: EnsureTableOptions): Promise<void> {
  let description: TableDescription | undefined;
  try {
    description = (
      await o.call(
        'read',
        'DescribeTable',
        (abortSignal) => o.client.send(new DescribeTableCommand({ TableName: o.table }), { abortSignal }),
        isNotFound,
      )
    ).Table;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (description === undefined) {
    if (!o.createTable) {
      throw new SignatoryError(
        'config_invalid',
        `watermark store aws: DynamoDB table "${o.table}" does not exist: create it (key idx HASH S, request RANGE S; see docs/watermarks.md), ` +
          'fix watermark.config.table or region, or set watermark.config.create_table: true',
      );
    }
    await create(o);
    o.log?.(`DynamoDB watermark backend created table '${o.table}'`);
    return;
  }
  checkKeySchema(o.table, description);
  if (description.TableStatus !== 'ACTIVE') await waitActive(o);
  o.log?.(`DynamoDB watermark backend using existing table '${o.table}'`);
}

async function create(o: EnsureTableOptions): Promise<void> {
  try {
    await o.call(
      'create',
      'CreateTable',
      (abortSignal) =>
        o.client.send(
          new CreateTableCommand({
            TableName: o.table,
            KeySchema: KEY_SCHEMA.map(({ AttributeName, KeyType }) => ({ AttributeName, KeyType })),
            AttributeDefinitions: KEY_SCHEMA.map(({ AttributeName, AttributeType }) => ({ AttributeName, AttributeType })),
            // on demand: Go's 5 provisioned writes/s throttle a baker with a few keys; billing does not affect compatibility
            BillingMode: 'PAY_PER_REQUEST',
          }),
          { abortSignal },
        ),
      isInUse,
    );
  } catch (e) {
    // another replica created it at the same moment: fine, check what it made
    if (!isInUse(e)) throw e;
  }
  await waitActive(o);
  const t = await o.call('read', 'DescribeTable', (abortSignal) =>
    o.client.send(new DescribeTableCommand({ TableName: o.table }), { abortSignal }),
  );
  checkKeySchema(o.table, t.Table ?? {});
}

const waitActive = (o: EnsureTableOptions): Promise<void> =>
  waitTableActive(o.client, o.table, `watermark store aws: DynamoDB table "${o.table}"`);

/**
 * Waits for `table` to become ACTIVE after CreateTable. `what` names the table in the error
 * (`watermark store aws: DynamoDB table "watermark"`); the spend ledger's table waits here too.
 */
export async function waitTableActive(client: DynamoDBClient, table: string, what: string): Promise<void> {
  const r = await waitUntilTableExists({ client, maxWaitTime: ACTIVE_WAIT_SECONDS, minDelay: 1, maxDelay: 10 }, { TableName: table });
  if (r.state !== 'SUCCESS') {
    throw new SignatoryError('internal', `${what} did not become ACTIVE within ${ACTIVE_WAIT_SECONDS} s (${r.state})`);
  }
}

function checkKeySchema(table: string, t: TableDescription): void {
  const types = new Map((t.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  const found = (t.KeySchema ?? []).map((k) => ({
    AttributeName: k.AttributeName,
    KeyType: k.KeyType,
    AttributeType: types.get(k.AttributeName),
  }));
  const ok =
    found.length === KEY_SCHEMA.length &&
    KEY_SCHEMA.every(
      (want, i) =>
        found[i]?.AttributeName === want.AttributeName &&
        found[i]?.KeyType === want.KeyType &&
        found[i]?.AttributeType === want.AttributeType,
    );
  if (ok) return;
  const describe = (
    ks: readonly { AttributeName?: string | undefined; KeyType?: string | undefined; AttributeType?: string | undefined }[],
  ) => (ks.length === 0 ? 'no key' : ks.map((k) => `${k.AttributeName} (${k.KeyType}, ${k.AttributeType ?? '?'})`).join(', '));
  throw new SignatoryError(
    'config_invalid',
    `watermark store aws: DynamoDB table "${table}" has key ${describe(found)}, but a watermark table needs ${describe(KEY_SCHEMA)}, ` +
      "as Go Signatory creates it: set watermark.config.table to Go Signatory's watermark table or to a new name (created at start-up)",
  );
}

const isNotFound = (e: unknown) => (e as { name?: string }).name === 'ResourceNotFoundException';
const isInUse = (e: unknown) => (e as { name?: string }).name === 'ResourceInUseException';
