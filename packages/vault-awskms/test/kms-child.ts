/**
 * kms-local as a real child process on loopback, its faults and key states driven through its
 * admin endpoint, and keys created through the real SDK.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateKeyCommand, KMSClient, type KeySpec, type KeyUsageType, type OriginType } from '@aws-sdk/client-kms';

const KMS_LOCAL = path.resolve(__dirname, '..', '..', 'kms-local', 'dist', 'main.js');
export const CREDENTIALS = { accessKeyId: 'AKIDVAULTTEST', secretAccessKey: 'vault-test-secret' };

export interface KmsChild {
  url: string;
  /** admin client (same credentials) for setting up keys */
  client: KMSClient;
  faults(spec: object): Promise<void>;
  clearFaults(): Promise<void>;
  setKeyEnabled(keyId: string, enabled: boolean): Promise<void>;
  createKey(keySpec: KeySpec, opts?: { usage?: KeyUsageType; origin?: OriginType }): Promise<{ keyId: string; arn: string }>;
  stop(): Promise<void>;
}

export async function startKms(): Promise<KmsChild> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vault-awskms-'));
  const child: ChildProcess = spawn(process.execPath, [KMS_LOCAL, '--dir', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', KMS_LOCAL_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, KMS_LOCAL_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`kms-local exited with ${code}`)));
  });
  const client = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  const admin = async (method: string, p: string, body?: object) => {
    const r = await fetch(`${url}${p}`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    if (!r.ok) throw new Error(`kms-local admin ${method} ${p}: ${r.status} ${await r.text()}`);
  };
  return {
    url,
    client,
    faults: (spec) => admin('POST', '/__admin/faults', spec),
    clearFaults: () => admin('DELETE', '/__admin/faults'),
    setKeyEnabled: (keyId, enabled) => admin('POST', `/__admin/keys/${keyId}/${enabled ? 'enable' : 'disable'}`),
    async createKey(keySpec, opts = {}) {
      const usage = opts.usage ?? (keySpec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : keySpec.startsWith('HMAC') ? 'GENERATE_VERIFY_MAC' : 'SIGN_VERIFY');
      const r = await client.send(new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: usage, ...(opts.origin ? { Origin: opts.origin } : {}) }));
      return { keyId: r.KeyMetadata!.KeyId!, arn: r.KeyMetadata!.Arn! };
    },
    async stop() {
      client.destroy();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
