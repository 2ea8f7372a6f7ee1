import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultSpec } from './faults';

/** The built CLI; the same path from src/ (under jest) and from dist/. */
const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');

export interface SpawnKmsLocalOptions {
  /** Access key pair the endpoint accepts (KMS_LOCAL_ACCESS_KEY_ID / _SECRET_ACCESS_KEY); any key when absent. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** More CLI flags, e.g. ['--latency-ms', '20']. */
  readonly args?: readonly string[];
  /** Key store directory, kept by stop(). Default: a fresh temp directory that stop() removes. */
  readonly dir?: string;
}

/** A kms-local child process on a free loopback port (unless `args` name one), its key store in `dir`. */
export interface SpawnedKmsLocal {
  readonly url: string;
  readonly dir: string;
  /** The child's process id (for CPU accounting in benches). */
  readonly pid: number;
  /** POST /__admin/faults. */
  faults(spec: FaultSpec): Promise<void>;
  /** DELETE /__admin/faults (also releases the held calls). */
  clearFaults(): Promise<void>;
  /** POST /__admin/release: lets every held call proceed; resolves with how many there were. */
  release(): Promise<number>;
  /** GET /__admin/held: how many calls the hold fault holds now. */
  held(): Promise<number>;
  /** Polls GET /__admin/held until at least `count` calls are held (jest's timeout bounds the wait). */
  waitHeld(count?: number): Promise<void>;
  setKeyEnabled(keyId: string, enabled: boolean): Promise<void>;
  /** SIGTERM, wait for exit, remove the directory (unless the caller gave it). */
  stop(): Promise<void>;
}

/**
 * Test utility: starts the built kms-local (`npm run build` in this package first) as a real
 * child process, waits for its "listening on <url>" line and drives it through the admin endpoint.
 */
export async function spawnKmsLocal(options: SpawnKmsLocalOptions = {}): Promise<SpawnedKmsLocal> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'kms-local-'));
  const removeDir = () => {
    if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
  };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' };
  if (options.credentials) {
    env.KMS_LOCAL_ACCESS_KEY_ID = options.credentials.accessKeyId;
    env.KMS_LOCAL_SECRET_ACCESS_KEY = options.credentials.secretAccessKey;
  }
  const child: ChildProcess = spawn(process.execPath, [MAIN, '--dir', dir, '--port', '0', ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      let text = '';
      const onData = (d: Buffer) => {
        text += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(text);
        if (!m) return;
        child.stdout!.off('data', onData).resume(); // later output is drained, not kept
        resolve(m[1]!);
      };
      child.stdout!.on('data', onData);
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`kms-local (${MAIN}) exited with ${code} before listening`)));
    });
  } catch (e) {
    removeDir();
    throw e;
  }
  const admin = async (method: string, p: string, body?: object) => {
    const r = await fetch(`${url}${p}`, {
      method,
      ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    if (!r.ok) throw new Error(`kms-local admin ${method} ${p}: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };
  const held = async () => (await admin('GET', '/__admin/held')).held as number;
  return {
    url,
    dir,
    pid: child.pid!,
    async faults(spec) {
      await admin('POST', '/__admin/faults', spec);
    },
    async clearFaults() {
      await admin('DELETE', '/__admin/faults');
    },
    release: async () => (await admin('POST', '/__admin/release')).released as number,
    held,
    async waitHeld(count = 1) {
      while ((await held()) < count) await sleep(20);
    },
    async setKeyEnabled(keyId, enabled) {
      await admin('POST', `/__admin/keys/${encodeURIComponent(keyId)}/${enabled ? 'enable' : 'disable'}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      removeDir();
    },
  };
}
