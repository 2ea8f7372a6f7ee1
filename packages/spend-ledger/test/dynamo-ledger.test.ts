import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsWatermarkConfig } from '@signatory-ts/config';
import { startDynalite, startDynamoFaultProxy, type DynaliteServer } from '@signatory-ts/dev-servers';
import { DynamoSpendLedger, openSpendLedger } from '../src';
import { CAPS, describeSpendLedger, KEY, T0, TZ } from './ledger-conformance';

let dynalite: DynaliteServer;
let n = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.stop();
});

const config = (table: string, more: Partial<AwsWatermarkConfig> = {}): AwsWatermarkConfig => ({
  table,
  region: 'us-east-1',
  endpoint: dynalite.endpoint,
  accessKeyId: 'test',
  secretAccessKey: 'test',
  createTable: true,
  timeoutMs: 5000,
  ...more,
});

// a fresh table per test; reopen: another instance (a restart, or a replica) on the same table
describeSpendLedger('DynamoSpendLedger', {
  open: () => DynamoSpendLedger.open(config(`ledger-${++n}`)),
  reopen: (ledger) => DynamoSpendLedger.open(config((ledger as DynamoSpendLedger).table)),
});

describe('DynamoSpendLedger', () => {
  it('three replicas, 60 concurrent reservations over three keys: no key ever exceeds its cap', async () => {
    const table = `replicas-${++n}`;
    const replicas = [await DynamoSpendLedger.open(config(table))];
    replicas.push(await DynamoSpendLedger.open(config(table)), await DynamoSpendLedger.open(config(table)));
    const keys = [KEY, 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK', 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q'];
    try {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          replicas[i % 3]!.reserve(keys[i % keys.length]!, 45n * TZ, CAPS, T0 + i).then((r) => ({ key: keys[i % keys.length]!, r })),
        ),
      );
      for (const key of keys) {
        const won = results.filter((x) => x.key === key && x.r.ok);
        expect(won).toHaveLength(4); // 4 × 45 = 180 tz; a 5th would make 225
        expect((await replicas[2]!.show(key, CAPS, T0 + 100))[0]!.spent).toBe(180n * TZ);
      }
    } finally {
      for (const r of replicas) await r.close();
    }
  });

  it('a store outage refuses (throws, naming the table), records nothing, and works again when the store is back', async () => {
    const ledger = await DynamoSpendLedger.open(config(`outage-${++n}`, { timeoutMs: 1500 }));
    try {
      expect((await ledger.reserve(KEY, 100n * TZ, CAPS, T0)).ok).toBe(true);
      await dynalite.pause();
      try {
        await expect(ledger.reserve(KEY, TZ, CAPS, T0 + 1)).rejects.toMatchObject({
          code: 'internal',
          message: expect.stringMatching(
            /^spend ledger aws: GetItem on DynamoDB table "outage-\d+" at http:\/\/127\.0\.0\.1:\d+ failed \(.+\); nothing was reserved or signed$/,
          ),
        });
        await expect(ledger.show(KEY, CAPS, T0 + 1)).rejects.toMatchObject({ code: 'internal' });
      } finally {
        await dynalite.resume();
      }
      expect((await ledger.show(KEY, CAPS, T0 + 2))[0]!.spent).toBe(100n * TZ);
      expect((await ledger.reserve(KEY, 100n * TZ, CAPS, T0 + 3)).ok).toBe(true);
    } finally {
      await ledger.close();
    }
  });

  it('a write refused by the store (throttled, denied) refuses the reservation', async () => {
    const proxy = await startDynamoFaultProxy(dynalite.endpoint);
    const ledger = await DynamoSpendLedger.open(config(`denied-${++n}`, { endpoint: proxy.endpoint }));
    try {
      proxy.fault = (op) =>
        op === 'PutItem' ? { status: 400, type: 'AccessDeniedException', message: 'not allowed to PutItem' } : undefined;
      await expect(ledger.reserve(KEY, TZ, CAPS, T0)).rejects.toMatchObject({
        message: /PutItem on .* failed \(AccessDeniedException: not allowed to PutItem\)/,
      });
      proxy.fault = () => undefined;
      expect((await ledger.show(KEY, CAPS, T0))[0]!.spent).toBe(0n);
    } finally {
      await ledger.close();
      await proxy.stop();
    }
  });

  it('a table of another shape, or a missing table with create_table off, stops the start with what to do', async () => {
    const table = `watermarks-${++n}`;
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynalite.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await client.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [
          { AttributeName: 'idx', KeyType: 'HASH' },
          { AttributeName: 'request', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'idx', AttributeType: 'S' },
          { AttributeName: 'request', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    client.destroy();
    await expect(DynamoSpendLedger.open(config(table))).rejects.toMatchObject({
      code: 'config_invalid',
      message: /its key is not pkh \(HASH, S\)/,
    });
    await expect(DynamoSpendLedger.open(config(`missing-${++n}`, { createTable: false }))).rejects.toMatchObject({
      code: 'config_invalid',
      message: /does not exist: create it \(key pkh HASH S; see docs\/policy\.md\) or set watermark\.config\.create_table: true/,
    });
  });

  it('openSpendLedger uses the watermark table name plus _spend, created at start-up, with the watermark connection', async () => {
    const logs: string[] = [];
    const table = `wm-${++n}`;
    const ledger = await openSpendLedger(
      { baseDir: '/nonexistent', watermark: { driver: 'aws', config: config(table) } },
      { log: (m) => logs.push(m) },
    );
    try {
      expect(ledger).toBeInstanceOf(DynamoSpendLedger);
      expect((ledger as DynamoSpendLedger).table).toBe(`${table}_spend`);
      expect(logs).toEqual([`DynamoDB spend ledger created table '${table}_spend'`]);
    } finally {
      await ledger.close();
    }
  });
});
