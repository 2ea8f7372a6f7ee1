import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsWatermarkConfig } from '@signatory-ts/config';
import { startDynalite, startDynamoFaultProxy, type DynaliteServer, type DynamoFaultProxy } from '@signatory-ts/dev-servers';
import { DynamoWatermarkStore } from '../src';

let dynalite: DynaliteServer;
let proxy: DynamoFaultProxy;
let admin: DynamoDBClient;
let n = 0;

const config = (over: Partial<AwsWatermarkConfig> = {}): AwsWatermarkConfig => ({
  table: `startup-${++n}`,
  region: 'us-east-1',
  endpoint: proxy.endpoint,
  accessKeyId: 'AKIASTORE',
  secretAccessKey: 'store-secret-value',
  createTable: true,
  timeoutMs: 60_000, // calls that must succeed; the start-up timeout test sets its own against a stalled endpoint
  ...over,
});

async function open(c: AwsWatermarkConfig): Promise<{ store: DynamoWatermarkStore; logs: string[] }> {
  const logs: string[] = [];
  const store = await DynamoWatermarkStore.open(c, { log: (m) => logs.push(m) });
  return { store, logs };
}

beforeAll(async () => {
  dynalite = await startDynalite();
  proxy = await startDynamoFaultProxy(dynalite.endpoint);
  admin = new DynamoDBClient({ region: 'us-east-1', endpoint: dynalite.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'a' } });
});
afterAll(async () => {
  admin.destroy();
  await proxy.stop();
  await dynalite.stop();
});
beforeEach(() => {
  proxy.seen.length = 0;
  proxy.fault = () => undefined;
});

describe('DynamoDB store start-up', () => {
  it("creates a missing table with Go Signatory's key schema, after asking DescribeTable first", async () => {
    const c = config();
    const { store, logs } = await open(c);
    await store.close();
    expect(proxy.seen.map((s) => s.operation).slice(0, 2)).toEqual(['DescribeTable', 'CreateTable']);
    expect(logs).toEqual([`DynamoDB watermark backend created table '${c.table}'`]);
    const t = (await admin.send(new DescribeTableCommand({ TableName: c.table }))).Table!;
    expect(t.KeySchema).toEqual([
      { AttributeName: 'idx', KeyType: 'HASH' },
      { AttributeName: 'request', KeyType: 'RANGE' },
    ]);
    expect(t.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'idx', AttributeType: 'S' },
        { AttributeName: 'request', AttributeType: 'S' },
      ]),
    );
  });

  it('uses an existing table without CreateTable (a role without dynamodb:CreateTable starts)', async () => {
    const c = config();
    await open(c).then(({ store }) => store.close());
    proxy.seen.length = 0;
    proxy.fault = (op) =>
      op === 'CreateTable' ? { status: 400, type: 'AccessDeniedException', message: 'not authorized to CreateTable' } : undefined;
    const { store, logs } = await open(c);
    await store.close();
    expect(proxy.seen.map((s) => s.operation)).toEqual(['DescribeTable']);
    expect(logs).toEqual([`DynamoDB watermark backend using existing table '${c.table}'`]);
  });

  it('with create_table: false, refuses to start on a missing table and creates nothing', async () => {
    const c = config({ createTable: false });
    await expect(open(c)).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining(`DynamoDB table "${c.table}" does not exist`),
    });
    await expect(open(c)).rejects.toThrow(/watermark.config.create_table: true/);
    expect(proxy.seen.map((s) => s.operation)).not.toContain('CreateTable');
  });

  it.each([
    ['a single key', [['pk', 'HASH', 'S']], 'pk (HASH, S)'],
    [
      'request as a number',
      [
        ['idx', 'HASH', 'S'],
        ['request', 'RANGE', 'N'],
      ],
      'idx (HASH, S), request (RANGE, N)',
    ],
  ] as const)('refuses a table with another key schema (%s), saying what it found', async (_what, key, found) => {
    const c = config();
    await dynalite.createTable(c.table, key);
    await expect(open(c)).rejects.toMatchObject({
      code: 'config_invalid',
      message: `watermark store aws: DynamoDB table "${c.table}" has key ${found}, but a watermark table needs idx (HASH, S), request (RANGE, S), as Go Signatory creates it: set watermark.config.table to Go Signatory's watermark table or to a new name (created at start-up)`,
    });
  });

  it('stops with what to fix when CreateTable is denied', async () => {
    proxy.fault = (op) =>
      op === 'CreateTable' ? { status: 400, type: 'AccessDeniedException', message: 'User is not authorized' } : undefined;
    await expect(open(config())).rejects.toThrow(
      /CreateTable: access denied: the AWS identity lacks dynamodb:CreateTable on table "startup-\d+"/,
    );
  });

  it('stops with what to set when no region is configured anywhere', async () => {
    const saved = { ...process.env };
    try {
      for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[k];
      process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
      process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      const { region: _region, ...noRegion } = config();
      await expect(open(noRegion)).rejects.toMatchObject({
        code: 'config_invalid',
        message: expect.stringContaining('no AWS region: set watermark.config.region (or AWS_REGION)'),
      });
    } finally {
      process.env = saved;
    }
  });

  it("takes the region from the SDK's chain (AWS_REGION) when the config has none, and names it in errors", async () => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-north-1';
    try {
      const { region: _region, ...noRegion } = config();
      const { store } = await open(noRegion);
      proxy.fault = (op) => (op === 'GetItem' ? { status: 400, type: 'AccessDeniedException', message: 'denied' } : undefined);
      await expect(store.get({ chainId: 'NetXdQprcVkpaWU', pkh: 'tz1aKTCPZHZRzNBrucPp8WTiAMzaYh84NZkC', kind: 'block' })).rejects.toThrow(
        /^watermark store aws \(DynamoDB table "startup-\d+" in eu-north-1 at /,
      );
      await store.close();
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });

  it('signs its calls with the configured credentials only, never copying them into the environment', async () => {
    const before = { ...process.env };
    const { store } = await open(config());
    await store.close();
    expect(proxy.seen.length).toBeGreaterThan(0);
    for (const s of proxy.seen) expect(s.authorization).toContain('Credential=AKIASTORE/');
    expect(process.env).toEqual(before);
  });

  it('stops with what to check when nothing listens at the endpoint', async () => {
    const closed = await startDynamoFaultProxy(dynalite.endpoint);
    await closed.stop(); // a port that was just free: nothing listens there now
    await expect(open(config({ endpoint: closed.endpoint }))).rejects.toThrow(
      /DescribeTable: DynamoDB is unreachable: check the endpoint, region and network \(ECONNREFUSED.*3 attempts\)/,
    );
  });

  it('times out at start-up instead of hanging on an endpoint that never answers', async () => {
    proxy.fault = () => 'stall';
    await expect(open(config({ timeoutMs: 300 }))).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('DescribeTable: no answer within 300 ms'),
    });
  });
});
