import { CreateTableCommand, DynamoDBClient, type ScalarAttributeType } from '@aws-sdk/client-dynamodb';
import { createServer, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One attribute of a table's key: name, HASH or RANGE, and its type. */
export type KeyAttribute = readonly [name: string, keyType: 'HASH' | 'RANGE', type: ScalarAttributeType];

/** The key Go Signatory creates its watermark table with: `idx` (HASH, S) and `request` (RANGE, S). */
export const GO_WATERMARK_TABLE_KEY: readonly KeyAttribute[] = [
  ['idx', 'HASH', 'S'],
  ['request', 'RANGE', 'S'],
];

/** A `driver: aws` store's config (the watermark's or the spend ledger's) on this emulator. */
export interface DynamoStoreConfig {
  readonly table: string;
  readonly region: string;
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly createTable: boolean;
  readonly timeoutMs: number;
}

export interface DynaliteServer {
  /** `http://127.0.0.1:<port>`: the endpoint a DynamoDB client is given. */
  readonly endpoint: string;
  /**
   * A store config on this emulator for a new table `<prefix>-<n>` (created by the store), 60 s per call: a
   * bound no loaded machine reaches (under load 50 concurrent conditional puts once took more than 5 s);
   * a test of the timeout sets its own, against a call that never answers.
   */
  storeConfig(prefix: string): DynamoStoreConfig;
  /**
   * Creates a table directly, as another program would (Go Signatory, an operator): on-demand billing, or
   * 5/5 provisioned capacity as Go Signatory creates its table.
   */
  createTable(table: string, key: readonly KeyAttribute[], options?: { provisioned?: boolean }): Promise<void>;
  /**
   * Stops answering, as an outage would: the listener is closed and open connections are cut; the
   * tables and items stay in memory. `resume()` listens again on the same port.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts dynalite (a DynamoDB emulator with real conditional writes) in memory on 127.0.0.1, on a free port. */
export async function startDynalite(): Promise<DynaliteServer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynalite ships no types
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  // dynalite's own close() also closes its in-memory database (the data would be gone): pause with
  // the plain HTTP server's close, which only stops listening
  const close = (closeServer: (cb: () => void) => void) => () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      closeServer(() => resolve());
      server.closeAllConnections();
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
  let tables = 0;
  const stop = close((cb) => server.close(cb));
  return {
    endpoint,
    storeConfig: (prefix) => ({
      table: `${prefix}-${++tables}`,
      region: 'us-east-1',
      endpoint,
      accessKeyId: 'test',
      secretAccessKey: 'test',
      createTable: true,
      timeoutMs: 60_000,
    }),
    async createTable(table, key, options = {}) {
      await admin.send(
        new CreateTableCommand({
          TableName: table,
          KeySchema: key.map(([AttributeName, KeyType]) => ({ AttributeName, KeyType })),
          AttributeDefinitions: key.map(([AttributeName, , AttributeType]) => ({ AttributeName, AttributeType })),
          ...(options.provisioned
            ? { ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }
            : { BillingMode: 'PAY_PER_REQUEST' }),
        }),
      );
    },
    pause: close((cb) => Server.prototype.close.call(server, cb)),
    resume: () => listen(port),
    stop: async () => {
      admin.destroy();
      await stop();
    },
  };
}

/** What the proxy does with one request: forward it, answer with an AWS error, or never answer. */
export type DynamoFault =
  | undefined
  | 'stall'
  /** forwarded and applied by the emulator, but its answer never reaches the client (a reply lost on the way back) */
  | 'lose-answer'
  | {
      readonly status: number;
      readonly type: string;
      readonly message: string;
      /** More fields of the error body, e.g. the `Item` DynamoDB returns with ReturnValuesOnConditionCheckFailure. */
      readonly body?: Record<string, unknown>;
    };

export interface DynamoProxiedRequest {
  /** DynamoDB operation (`PutItem`, `DescribeTable`, …), from X-Amz-Target. */
  readonly operation: string;
  readonly authorization: string;
}

export interface DynamoFaultProxy {
  readonly endpoint: string;
  readonly seen: DynamoProxiedRequest[];
  /** Decides per operation; forwards everything by default. */
  fault: (operation: string) => DynamoFault;
  stop(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of a real DynamoDB emulator that can answer an operation with an
 * AWS error (throttling, access denied), hold it unanswered (a network that eats packets) or apply it
 * and lose the answer (the write landed, the client cannot know), the
 * failures dynalite itself cannot produce. It also records what the client sent.
 */
export async function startDynamoFaultProxy(target: string): Promise<DynamoFaultProxy> {
  const to = new URL(target);
  const proxy: DynamoFaultProxy = {
    endpoint: '',
    seen: [],
    fault: () => undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      proxy.seen.push({ operation, authorization: String(req.headers.authorization ?? '') });
      const fault = proxy.fault(operation);
      if (fault === 'stall') return;
      if (fault !== undefined && fault !== 'lose-answer') {
        res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': fault.type });
        res.end(JSON.stringify({ ...fault.body, __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`, message: fault.message }));
        return;
      }
      const fwd = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        if (fault === 'lose-answer') return void up.resume();
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (proxy as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
