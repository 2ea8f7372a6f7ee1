import { blake2b256, isSignatoryError, watermarkSlot } from '@signatory-ts/core';
import { startDynalite, startDynamoFaultProxy, type DynaliteServer, type DynamoFaultProxy } from '@signatory-ts/dev-servers';
import { DynamoWatermarkStore, signWithWatermark, type WatermarkIoEvent } from '../src';

const block = watermarkSlot('NetXdQprcVkpaWU', 'tz1aKTCPZHZRzNBrucPp8WTiAMzaYh84NZkC', 'block');
const digest = (tag: string) => blake2b256(new TextEncoder().encode(tag));
const SECRET = 'store-secret-value';

let dynalite: DynaliteServer;
let proxy: DynamoFaultProxy;
let store: DynamoWatermarkStore;
let io: WatermarkIoEvent[];
let n = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
  proxy = await startDynamoFaultProxy(dynalite.endpoint);
});
afterAll(async () => {
  await proxy.stop();
  await dynalite.stop();
});
beforeEach(async () => {
  proxy.fault = () => undefined;
  io = [];
  store = await DynamoWatermarkStore.open(
    {
      table: `failures-${++n}`,
      region: 'us-east-1',
      endpoint: proxy.endpoint,
      accessKeyId: 'AKIASTORE',
      secretAccessKey: SECRET,
      createTable: true,
      // a bound a loaded machine does not reach on one call that must succeed; the call cut at it never answers
      timeoutMs: 10_000,
    },
    { onIo: (e) => io.push(e) },
  );
});
afterEach(async () => {
  await dynalite.resume().catch(() => undefined);
  await store.close();
});

/** Signs through the store; what the signer would release (or the error it would answer 500 with). */
async function attempt(level: number, tag: string): Promise<{ released?: string; status?: string; error?: Error }> {
  try {
    const r = await signWithWatermark(store, block, { level, round: 0, digest: digest(tag) }, async () => `sig-${tag}`);
    return r.status === 'rejected' ? { status: r.status } : { released: r.signature, status: r.status };
  } catch (e) {
    return { error: e as Error };
  }
}

function expectStoreError(r: { released?: string; status?: string; error?: Error }, cause: RegExp): void {
  expect(r.released).toBeUndefined();
  expect(r.status).toBeUndefined(); // an error, never a `rejected` (which the daemon answers 409)
  expect(isSignatoryError(r.error) && r.error.code).toBe('internal');
  expect(r.error!.message).toMatch(/^watermark store aws \(DynamoDB table "failures-\d+" in us-east-1 at http:\/\/127\.0\.0\.1:\d+\): /);
  expect(r.error!.message).toMatch(cause);
  expect(r.error!.message).not.toContain(SECRET);
}

describe('DynamoDB store failures', () => {
  it('an outage: errors naming the store (never a refusal), unhealthy; back: healthy, marks intact, signing resumes', async () => {
    expect(await attempt(10, 'before')).toMatchObject({ released: 'sig-before' });
    await dynalite.pause();
    expectStoreError(await attempt(11, 'during'), /DynamoDB is unreachable: check the endpoint, region and network|no answer within/);
    expect(await store.health()).toMatch(/^watermark store aws .*GetItem: /);
    await dynalite.resume();
    expect(await store.health()).toBeUndefined();
    expect(await store.get(block)).toMatchObject({ level: 10, signature: 'sig-before' });
    expect(await attempt(10, 'other-at-10')).toEqual({ status: 'rejected' });
    expect(await attempt(11, 'during')).toMatchObject({ released: 'sig-during' });
  });

  it('the store failing between the signature and the commit: the signature is dropped and the level not burnt', async () => {
    expect(await attempt(20, 'first')).toMatchObject({ released: 'sig-first' });
    proxy.fault = (op) => (op === 'PutItem' ? { status: 500, type: 'InternalServerError', message: 'Internal server error' } : undefined);
    expectStoreError(await attempt(21, 'lost'), /PutItem: failed \(InternalServerError: Internal server error, 3 attempts\)/);
    proxy.fault = () => undefined;
    expect(await store.get(block)).toMatchObject({ level: 20 });
    expect(await attempt(21, 'lost')).toMatchObject({ released: 'sig-lost' });
  });

  it('throttling is retried (3 attempts), then an error saying so; the io metrics count it', async () => {
    proxy.fault = (op) =>
      op === 'PutItem'
        ? {
            status: 400,
            type: 'ProvisionedThroughputExceededException',
            message: 'The level of configured provisioned throughput for the table was exceeded',
          }
        : undefined;
    proxy.seen.length = 0;
    io = [];
    expectStoreError(
      await attempt(30, 'throttled'),
      /PutItem: DynamoDB kept throttling the table: raise its capacity or use on-demand billing \(ProvisionedThroughputExceededException: .*, 3 attempts\)/,
    );
    expect(proxy.seen.filter((s) => s.operation === 'PutItem')).toHaveLength(3);
    expect(io.find((e) => e.operation === 'write')).toMatchObject({
      backend: 'aws',
      table: expect.stringMatching(/^failures-/),
      error: 'ProvisionedThroughputExceededException',
    });
  });

  it('access denied names the permission to grant', async () => {
    proxy.fault = (op) =>
      op === 'GetItem' ? { status: 400, type: 'AccessDeniedException', message: 'not authorized to perform: dynamodb:GetItem' } : undefined;
    expectStoreError(
      await attempt(40, 'denied'),
      /GetItem: access denied: the AWS identity lacks dynamodb:GetItem on table "failures-\d+"/,
    );
    expect(await store.health()).toMatch(/access denied/);
  });

  it('a call with no answer is cut at timeout_ms: an error, nothing released', async () => {
    proxy.fault = (op) => (op === 'PutItem' ? 'stall' : undefined);
    io = [];
    expectStoreError(await attempt(50, 'stalled'), /PutItem: no answer within 10000 ms/);
    expect(io.find((e) => e.operation === 'write')).toMatchObject({ error: 'timeout', backend: 'aws' });
    proxy.fault = () => undefined;
    expect(await store.get(block)).toBeUndefined();
  });

  it('reports every call with backend aws and the table, and a refused mark as no io error', async () => {
    io = [];
    await attempt(60, 'a');
    await attempt(60, 'b');
    expect(io.length).toBeGreaterThan(0);
    for (const e of io) expect(e).toMatchObject({ backend: 'aws', table: expect.stringMatching(/^failures-/) });
    expect(io.filter((e) => e.error !== undefined)).toEqual([]);
    expect(new Set(io.map((e) => e.operation))).toEqual(new Set(['read', 'write']));
  });
});

describe('DynamoDB store, a refused put with the old item (ReturnValuesOnConditionCheckFailure, which dynalite lacks)', () => {
  it('uses the item returned with the refusal: an identical request committed elsewhere is replayed without another read', async () => {
    const d = digest('same');
    proxy.fault = (op) =>
      op === 'PutItem'
        ? {
            status: 400,
            type: 'ConditionalCheckFailedException',
            message: 'The conditional request failed',
            body: {
              Item: {
                idx: { S: `${block.chainId}/${block.pkh}` },
                request: { S: 'block' },
                lvl: { N: '90' },
                round: { N: '0' },
                digest: { B: Buffer.from(d).toString('base64') },
                signature: { S: 'sig-from-elsewhere' },
              },
            },
          }
        : undefined;
    proxy.seen.length = 0;
    expect(await store.commit(block, { level: 90, round: 0, digest: d, signature: 'sig-mine' })).toEqual({
      status: 'replay',
      signature: 'sig-from-elsewhere',
    });
    expect(proxy.seen.map((s) => s.operation)).toEqual(['PutItem']);
    expect(await store.commit(block, { level: 90, round: 0, digest: digest('other'), signature: 'sig-other' })).toMatchObject({
      status: 'rejected',
      stored: { level: 90, round: 0, signature: 'sig-from-elsewhere' },
    });
  });
});

describe('DynamoDB store health while the store is down', () => {
  it('overlapping calls share one probe: one request sent, all answered with the reason, no unhandled rejection (which would end the process)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      proxy.fault = (op) => (op === 'GetItem' ? { status: 400, type: 'AccessDeniedException', message: 'not authorized' } : undefined);
      const before = proxy.seen.length;
      const answers = await Promise.all([store.health(), store.health(), store.health()]);
      for (const a of answers) expect(a).toMatch(/GetItem: access denied/);
      // one more probe after those: any probe the overlapping calls started was sent before it and has failed by now
      expect(await store.health()).toMatch(/GetItem: access denied/);
      await new Promise((r) => setImmediate(r)); // an unhandled rejection is reported after the microtask queue drains
      expect(proxy.seen.slice(before).filter((r) => r.operation === 'GetItem')).toHaveLength(2);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      proxy.fault = () => undefined;
    }
  });
});

describe('DynamoDB store health after a failed write', () => {
  it('is unhealthy while writes fail although reads work, healthy again once a probe write succeeds; the probe is no mark', async () => {
    expect(await store.health()).toBeUndefined();
    proxy.fault = (op) =>
      op === 'PutItem' ? { status: 400, type: 'AccessDeniedException', message: 'not authorized to perform: dynamodb:PutItem' } : undefined;
    expectStoreError(await attempt(100, 'no-put'), /PutItem: access denied: the AWS identity lacks dynamodb:PutItem/);
    expect(await store.health()).toMatch(/PutItem: access denied/);
    expect(await store.health()).toMatch(/PutItem: access denied/);
    proxy.fault = () => undefined;
    expect(await store.health()).toBeUndefined();
    const listed = [];
    for await (const e of store.list()) listed.push(e);
    expect(listed).toEqual([]);
    expect(await attempt(100, 'no-put')).toMatchObject({ released: 'sig-no-put' });
  });
});
