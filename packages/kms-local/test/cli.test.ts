import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CreateKeyCommand, ListKeysCommand, SignCommand } from '@aws-sdk/client-kms';
import { secp256k1 } from '@noble/curves/secp256k1';
import { spawnKmsLocal } from '../src';
import { client, removeDir, tempDir, TEST_CREDENTIALS } from './harness';

// the built command (jest.config.js builds it from the current sources first)
const MAIN = join(__dirname, '..', 'dist', 'main.js');

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /kms-local listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) resolve({ child, url: m[1]!, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`kms-local exited with ${code}: ${stderr}`)));
  });
}

function stop(r: Running): Promise<number | null> {
  return new Promise((resolve) => {
    r.child.once('exit', (code) => resolve(code));
    r.child.kill('SIGTERM');
  });
}

describe('kms-local command', () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it('serves the SDK, applies --latency-ms and --high-s, keeps keys in --dir across runs, takes faults over the admin endpoint and exits 0 on SIGTERM', async () => {
    const first = await run(['--dir', dir, '--port', '0', '--high-s', 'always', '--latency-ms', '120']);
    const kms = client(first.url);
    const t0 = Date.now();
    await kms.send(new ListKeysCommand({}));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(120);
    const key = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
    const out = await kms.send(
      new SignCommand({
        KeyId: key.KeyId,
        Message: createHash('sha256').update('x').digest(),
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    expect(secp256k1.Signature.fromBytes(out.Signature!, 'der').hasHighS()).toBe(true);
    await fetch(`${first.url}/__admin/faults`, { method: 'POST', body: JSON.stringify({ throttle: { count: 1 } }) });
    await expect(kms.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'ThrottlingException' });
    kms.destroy();
    expect(await stop(first)).toBe(0);

    const second = await run(['--dir', dir]);
    const kms2 = client(second.url);
    expect((await kms2.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId)).toEqual([key.KeyId]);
    kms2.destroy();
    expect(await stop(second)).toBe(0);
  });

  it('requires the credentials given in its environment and never prints the secret', async () => {
    const r = await run(['--dir', dir, '--verbose'], {
      KMS_LOCAL_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      KMS_LOCAL_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    });
    const good = client(r.url);
    const bad = client(r.url, { credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'wrong' } });
    await expect(good.send(new ListKeysCommand({}))).resolves.toBeDefined();
    await expect(bad.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    good.destroy();
    bad.destroy();
    expect(await stop(r)).toBe(0);
    expect(r.stderr()).toContain('ListKeys 400 InvalidSignatureException');
    expect(r.stderr()).not.toContain(TEST_CREDENTIALS.secretAccessKey);
  });

  it('spawnKmsLocal: a held call waits until release(), which says how many it let go; clearFaults() releases too', async () => {
    const k = await spawnKmsLocal();
    const kms = client(k.url);
    try {
      const key = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
      const sign = () =>
        kms.send(
          new SignCommand({
            KeyId: key,
            Message: createHash('sha256').update('x').digest(),
            MessageType: 'DIGEST',
            SigningAlgorithm: 'ECDSA_SHA_256',
          }),
        );
      await k.faults({ hold: { operations: ['Sign'] } });
      let settled = 0;
      const two = [sign(), sign()].map((p) => p.finally(() => (settled += 1)));
      await k.waitHeld(2);
      await expect(kms.send(new ListKeysCommand({}))).resolves.toBeDefined(); // not held
      expect(await k.held()).toBe(2);
      expect(settled).toBe(0);
      expect(await k.release()).toBe(2);
      for (const out of await Promise.all(two)) expect(out.Signature!.length).toBeGreaterThan(0);
      const third = sign();
      await k.waitHeld(1);
      await k.clearFaults();
      await expect(third).resolves.toBeDefined();
      expect(await k.held()).toBe(0);
      expect(await k.release()).toBe(0);
    } finally {
      kms.destroy();
      await k.stop();
    }
  });

  it('refuses bad arguments with a usage error', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [MAIN, '--dir', dir, '--high-s', 'sometimes'], { stdio: 'pipe' });
    } catch (err) {
      status = (err as { status: number }).status;
      stderr = String((err as { stderr: Buffer }).stderr);
    }
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/--high-s/);
  });
});
