import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynalite, startDynamoFaultProxy, type DynaliteServer } from '@signatory-ts/dev-servers';
import { block } from './payloads';
import { spawnKmsLocal } from '@signatory-ts/kms-local';
import { createKeys, run, startSignatory, stop, writeConfig, SIGNATORY_BIN, type KmsKey, type Proc } from './processes';

// Real processes on loopback: `signatory serve` with `watermark: driver: aws` on dynalite (started
// here, in this process, so the test can take it away and bring it back with its data).
let dir: string;
let dynalite: DynaliteServer;
let keys: KmsKey[];
let kmsUrl: string;
const started: Proc[] = [];
let stopKms: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signatory-dynamo-'));
  dynalite = await startDynalite();
  const kms = await spawnKmsLocal({ dir: path.join(dir, 'kms') });
  stopKms = () => kms.stop();
  kmsUrl = kms.url;
  keys = await createKeys(kms.url, ['ECC_NIST_P256']); // randomized signatures: a re-signed replay would differ from the stored one
});
afterAll(async () => {
  for (const p of started) await stop(p, 'SIGKILL');
  await stopKms?.();
  await dynalite.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A config whose watermark is the DynamoDB store on dynalite, with credentials of its own (not the vault's). */
async function config(name: string, table: string, baseDir = dir, endpoint = dynalite.endpoint): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  await writeConfig(file, { baseDir, kmsUrl, keys });
  await appendFile(
    file,
    [
      'watermark:',
      '  driver: aws',
      '  config:',
      `    table: ${table}`,
      '    region: us-east-1',
      `    endpoint: ${endpoint}`,
      '    access_key_id: AKIDDYNAMO',
      '    secret_access_key: dynamo-secret-value',
      '    timeout_ms: 1000',
      '',
    ].join('\n'),
  );
  return file;
}

const post = async (url: string, hex: string) => {
  const r = await fetch(`${url}/keys/${keys[0]!.pkh}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(hex),
  });
  return { status: r.status, text: await r.text() };
};
const healthz = async (utilityUrl: string) => {
  const r = await fetch(`${utilityUrl}/healthz`);
  return { status: r.status, body: (await r.json()) as { ready: boolean; watermark_store?: string } };
};

describe('signatory serve with watermark driver aws (DynamoDB)', () => {
  it('store stopped mid-stream: 500 naming the store (never 409), nothing released, /healthz 503; back: every mark intact', async () => {
    // base_dir is the file store's: with DynamoDB, not even a directory is needed
    const notADirectory = path.join(dir, 'outage.yaml');
    const s = await startSignatory(await config('outage', 'watermark', notADirectory));
    started.push(s.proc);
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
  }, 60_000);

  it('the store failing after the KMS signature: 500 naming the store, the signature dropped; throttling is 500 too, never 409', async () => {
    const proxy = await startDynamoFaultProxy(dynalite.endpoint);
    try {
      const s = await startSignatory(await config('commit-fails', 'commit-fails', dir, proxy.endpoint));
      started.push(s.proc);
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
  }, 60_000);

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
    const p = run([SIGNATORY_BIN, 'serve', '-c', await config('schema', 'not-a-watermark-table')], 'stderr');
    started.push(p);
    expect(await p.exited).not.toBe(0);
    expect(p.lines.join('\n')).toContain(
      'DynamoDB table "not-a-watermark-table" has key id (HASH, S), but a watermark table needs idx (HASH, S), request (RANGE, S)',
    );
  }, 60_000);
});
