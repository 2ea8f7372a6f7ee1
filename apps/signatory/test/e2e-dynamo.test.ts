import path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynalite, startDynamoFaultProxy, type DynaliteServer } from '@signatory-ts/dev-servers';
import { block } from './payloads';
import { E2e, healthz } from './processes';

// Real processes on loopback: `signatory serve` with `watermark: driver: aws` on dynalite (started
// here, in this process, so the test can take it away and bring it back with its data).
let e2e: E2e;
let dynalite: DynaliteServer;

beforeAll(async () => {
  dynalite = await startDynalite();
  e2e = await E2e.start('dynamo', ['ECC_NIST_P256']); // randomized signatures: a re-signed replay would differ from the stored one
});
afterAll(async () => {
  await e2e?.stop();
  await dynalite.stop();
});

/**
 * A config whose watermark is the DynamoDB store on dynalite, with credentials of its own (not the vault's). timeout_ms
 * is far above what a call needs on a loaded machine: no test here is about it (an outage is refused at once), and a
 * call cut short would change what the tests check (the attempts a failing write made, say).
 */
async function config(name: string, table: string, baseDir = e2e.dir, endpoint = dynalite.endpoint): Promise<string> {
  const extra = [
    'watermark:',
    '  driver: aws',
    '  config:',
    `    table: ${table}`,
    '    region: us-east-1',
    `    endpoint: ${endpoint}`,
    '    access_key_id: AKIDDYNAMO',
    '    secret_access_key: dynamo-secret-value',
    '    timeout_ms: 30000',
    '',
  ].join('\n');
  return e2e.config(path.join(e2e.dir, `${name}.yaml`), { baseDir, extra });
}

const post = (url: string, hex: string) => e2e.post(url, hex);

describe('signatory serve with watermark driver aws (DynamoDB)', () => {
  it('store stopped mid-stream: 500 naming the store (never 409), nothing released, /healthz 503; back: every mark intact', async () => {
    // base_dir is the file store's: with DynamoDB, not even a directory is needed
    const notADirectory = path.join(e2e.dir, 'outage.yaml');
    const s = await e2e.serve({ config: await config('outage', 'watermark', notADirectory) });
    await s.proc.waitFor(/DynamoDB watermark backend created table 'watermark'/);
    const first = await post(s.url, block(10, 0));
    expect(first.status).toBe(200);
    expect((await post(s.url, block(10, 0, 1))).status).toBe(409);
    expect((await healthz(s.utilityUrl)).status).toBe(200);

    await dynalite.pause();
    for (const hex of [block(11, 0), block(10, 0), block(10, 0, 1)]) {
      const r = await post(s.url, hex);
      expect(r.status).toBe(500);
      expect(r.text).toMatch(
        /watermark store aws \(DynamoDB table \\"watermark\\" in us-east-1 at http:\/\/127\.0\.0\.1:\d+\): GetItem: DynamoDB is unreachable/,
      );
      expect(r.text).not.toContain('signature');
    }
    const down = await healthz(s.utilityUrl);
    expect(down.status).toBe(503);
    expect(down.body.watermark_store).toMatch(/^watermark store aws .*DynamoDB is unreachable/);

    await dynalite.resume();
    expect((await healthz(s.utilityUrl)).status).toBe(200);
    expect(await post(s.url, block(10, 0))).toEqual(first); // the identical request: the stored signature
    expect((await post(s.url, block(10, 0, 1))).status).toBe(409);
    expect((await post(s.url, block(11, 0))).status).toBe(200);

    const metrics = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /watermark_io_operations_total\{backend="aws",operation="write",table_name="watermark",result="success"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /watermark_io_errors_total\{backend="aws",operation="read",table_name="watermark",error_type="ECONNREFUSED"\} [1-9]/,
    );
    const logs = s.proc.lines.join('\n');
    expect(logs).not.toContain('dynamo-secret-value');
  }, 120_000);

  it('the store failing after the KMS signature: 500 naming the store, the signature dropped; throttling is 500 too, never 409', async () => {
    const proxy = await startDynamoFaultProxy(dynalite.endpoint);
    try {
      const s = await e2e.serve({ config: await config('commit-fails', 'commit-fails', e2e.dir, proxy.endpoint) });
      expect((await post(s.url, block(5, 0))).status).toBe(200);

      proxy.fault = (op) => (op === 'PutItem' ? { status: 500, type: 'InternalServerError', message: 'Internal server error' } : undefined);
      const failed = await post(s.url, block(6, 0));
      expect(failed.status).toBe(500);
      expect(failed.text).toContain('PutItem: failed (InternalServerError: Internal server error, 3 attempts); nothing was released');
      expect(failed.text).not.toContain('p2sig');

      proxy.fault = (op) =>
        op === 'PutItem'
          ? { status: 400, type: 'ProvisionedThroughputExceededException', message: 'Rate of requests exceeds the allowed throughput' }
          : undefined;
      const throttled = await post(s.url, block(6, 0));
      expect(throttled.status).toBe(500);
      expect(throttled.text).toContain('DynamoDB kept throttling the table');
      const unhealthy = await healthz(s.utilityUrl);
      expect(unhealthy.status).toBe(503);
      expect(unhealthy.body.watermark_store).toContain('DynamoDB kept throttling the table');

      proxy.fault = () => undefined;
      expect((await healthz(s.utilityUrl)).status).toBe(200);
      const retried = await post(s.url, block(6, 0));
      expect(retried.status).toBe(200);
      expect(JSON.parse(retried.text).signature).toMatch(/^p2sig/);
      expect((await post(s.url, block(6, 0, 1))).status).toBe(409);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  it('refuses to start on a table with another key schema, saying what it found', async () => {
    const admin = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynalite.endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'a' },
    });
    await admin.send(
      new CreateTableCommand({
        TableName: 'not-a-watermark-table',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    admin.destroy();
    const p = e2e.spawn({ config: await config('schema', 'not-a-watermark-table') });
    expect(await p.exited).not.toBe(0);
    expect(p.lines.join('\n')).toContain(
      'DynamoDB table "not-a-watermark-table" has key id (HASH, S), but a watermark table needs idx (HASH, S), request (RANGE, S)',
    );
  }, 120_000);
});
