/**
 * Real parts for the CLI tests: kms-local as a child process (its faults set through its admin
 * endpoint), a real signatory.yaml on disk, and the built CLI run as a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { spawnKmsLocal, type SpawnedKmsLocal } from '@signatory-ts/kms-local';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'apps', 'signatory-cli', 'dist', 'main.js');

export const CREDENTIALS = { accessKeyId: 'AKIDCLITEST', secretAccessKey: 'cli-test-secret' };

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface KmsChild extends SpawnedKmsLocal {
  client: KMSClient;
}

/** kms-local as a child process (kms-local's spawnKmsLocal) plus an SDK client for setting up keys. */
export async function startKms(extraArgs: string[] = []): Promise<KmsChild> {
  const kms = await spawnKmsLocal({ args: extraArgs });
  const client = new KMSClient({ endpoint: kms.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  return {
    ...kms,
    client,
    async stop() {
      client.destroy();
      await kms.stop();
    },
  };
}

/**
 * Writes `dir`/signatory.yaml with one awskms vault per entry pointing at `url`; returns its path. `serve`: both
 * listeners on free loopback ports, for `signatory serve`.
 */
export function writeConfig(
  dir: string,
  opts: { url: string; vaults?: string[]; tezos?: string; keys?: string[]; serve?: boolean },
): string {
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
  const server = opts.serve ? 'server:\n  address: 127.0.0.1:0\n  utility_address: 127.0.0.1:0\n' : '';
  writeFileSync(file, `base_dir: ${path.join(dir, 'base')}\n${server}vaults:\n${vaults}${opts.tezos ? `tezos:\n${opts.tezos}` : ''}`);
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
    // The CLI may stop reading early (an oversized input is refused): EPIPE then is expected.
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
    child.stdin.end(opts.input ?? '');
  });
}
