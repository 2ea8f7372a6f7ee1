/**
 * Real parts for the CLI tests: kms-local as a child process (its faults set through its admin
 * endpoint), a real signatory.yaml on disk, and the built CLI run as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'apps', 'signatory-cli', 'dist', 'main.js');
const KMS_LOCAL = path.join(ROOT, 'packages', 'kms-local', 'dist', 'main.js');

export const CREDENTIALS = { accessKeyId: 'AKIDCLITEST', secretAccessKey: 'cli-test-secret' };

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface KmsChild {
  url: string;
  dir: string;
  client: KMSClient;
  /** POST /__admin/faults (kms-local's FaultSpec JSON). */
  faults(spec: object): Promise<void>;
  clearFaults(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKms(extraArgs: string[] = []): Promise<KmsChild> {
  const dir = tempDir('cli-kms-');
  const child: ChildProcess = spawn(process.execPath, [KMS_LOCAL, '--dir', dir, '--port', '0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
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
  const admin = async (method: string, body?: object) => {
    const r = await fetch(`${url}/__admin/faults`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    if (!r.ok) throw new Error(`kms-local admin ${method}: ${r.status} ${await r.text()}`);
  };
  return {
    url,
    dir,
    client,
    faults: (spec) => admin('POST', spec),
    clearFaults: () => admin('DELETE'),
    async stop() {
      client.destroy();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes a signatory.yaml with one awskms vault per entry pointing at `url`; returns its path. */
export function writeConfig(dir: string, opts: { url: string; vaults?: string[]; tezos?: string; keys?: string[] }): string {
  const vaults = (opts.vaults ?? ['kms'])
    .map(
      (name) => `  ${name}:
    driver: awskms
    config:
      region: us-east-1
      endpoint: ${opts.url}
      access_key_id: ${CREDENTIALS.accessKeyId}
      secret_access_key: ${CREDENTIALS.secretAccessKey}
${opts.keys ? `      keys: [${opts.keys.join(', ')}]\n` : ''}`,
    )
    .join('');
  const file = path.join(dir, 'signatory.yaml');
  writeFileSync(file, `base_dir: ${path.join(dir, 'base')}\nvaults:\n${vaults}${opts.tezos ? `tezos:\n${opts.tezos}` : ''}`);
  return file;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with `args`; `input` is piped to stdin (empty when absent, so stdin is never a TTY). */
export function runCli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
