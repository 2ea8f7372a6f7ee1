import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { startKmsLocal, type KmsLocal, type KmsLocalOptions } from '../src';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDKMSLOCALTEST', secretAccessKey: 'kms-local-test-secret' };

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kms-local-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A real SDK client pointed at the endpoint; retries off unless asked, so faults surface directly. */
export function client(
  url: string,
  opts: { region?: string; maxAttempts?: number; credentials?: typeof TEST_CREDENTIALS; requestTimeout?: number } = {},
): KMSClient {
  return new KMSClient({
    endpoint: url,
    region: opts.region ?? 'us-east-1',
    credentials: opts.credentials ?? TEST_CREDENTIALS,
    maxAttempts: opts.maxAttempts ?? 1,
    // @smithy/node-http-handler 4.x only warns on requestTimeout unless throwOnRequestTimeout is set
    ...(opts.requestTimeout ? { requestHandler: { requestTimeout: opts.requestTimeout, throwOnRequestTimeout: true } } : {}),
  });
}

export interface Started {
  server: KmsLocal;
  kms: KMSClient;
  dir: string;
  stop(): Promise<void>;
}

export async function start(options: Partial<KmsLocalOptions> = {}): Promise<Started> {
  const dir = options.dir ?? tempDir();
  const server = await startKmsLocal({ ...options, dir });
  const kms = client(server.url);
  return {
    server,
    kms,
    dir,
    async stop() {
      kms.destroy();
      await server.close();
      if (!options.dir) removeDir(dir);
    },
  };
}
