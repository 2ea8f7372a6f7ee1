import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '@signatory-ts/config';
import { parseSecretKey, secretKeyToPkcs8 } from '@signatory-ts/core';
import { startKmsLocal, type KmsLocal, type KeySpec } from '@signatory-ts/kms-local';
import { createApp } from '../src/app';
import { awsKmsOpener } from '../src/aws-vault';
import { buildDeps, type DaemonDeps } from '../src/deps';
import { JwtAuth } from '../src/jwt';
import { listen, type Listening } from '../src/listen';
import { createLogger, type Logger, type LogLevel } from '@signatory-ts/log';
import { Writable } from 'node:stream';

export interface HarnessKey {
  /** A Tezos secret key to seed the KMS key with (deterministic pkh); or a spec for a fresh key. */
  readonly secret?: string;
  readonly spec?: KeySpec;
}

export interface Harness {
  readonly url: string;
  readonly kms: KmsLocal;
  readonly deps: DaemonDeps;
  readonly baseDir: string;
  readonly logs: string[];
  post(pkh: string, body: string, query?: Record<string, string>): Promise<{ status: number; text: string; type: string | null }>;
  get(p: string): Promise<{ status: number; text: string; type: string | null }>;
  close(): Promise<void>;
}

const SPEC_OF = { ed25519: 'ECC_NIST_EDWARDS25519', secp256k1: 'ECC_SECG_P256K1', p256: 'ECC_NIST_P256' } as const;

/** A logger whose lines (one an entry) land in `lines`. */
export function captureLogs(level: LogLevel = 'info', json = false): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, logger: createLogger({ level, json, stream }) };
}

export interface LocalKms {
  readonly dir: string;
  readonly kms: KmsLocal;
  /** Stops kms-local and removes `dir`. */
  close(): Promise<void>;
}

/** A fresh temp dir and kms-local in this process (its store in `<dir>/kms`) holding `keys`. */
export async function startLocalKms(name: string, keys: readonly HarnessKey[]): Promise<LocalKms> {
  const dir = await mkdtemp(path.join(tmpdir(), `signatory-${name}-`));
  let kms: KmsLocal | undefined;
  const close = async () => {
    await kms?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    kms = await startKmsLocal({ dir: path.join(dir, 'kms') });
    for (const k of keys) {
      if (k.secret !== undefined) {
        const sk = parseSecretKey(k.secret);
        await kms.createKey({ keySpec: SPEC_OF[sk.curve], privateKeyPkcs8: Buffer.from(secretKeyToPkcs8(sk)) });
      } else {
        await kms.createKey({ keySpec: k.spec ?? 'ECC_NIST_EDWARDS25519' });
      }
    }
  } catch (e) {
    await close(); // a suite whose set-up failed leaves no server or directory behind
    throw e;
  }
  return { dir, kms, close };
}

/**
 * signatory.yaml for `serve` in this process: both listeners on free ports (then `server`'s lines), the awskms
 * vault on `kmsUrl`, then `rest` (the tezos: block and more).
 */
export const daemonYaml = (o: { baseDir: string; kmsUrl: string; server?: string; rest: string }) => `
base_dir: ${o.baseDir}
server:
  address: 127.0.0.1:0
  utility_address: 127.0.0.1:0
${o.server ?? ''}
vaults:
  kms:
    driver: awskms
    config: {endpoint: "${o.kmsUrl}", region: us-east-1, access_key_id: AKIDTEST, secret_access_key: very-secret-value}
${o.rest}`;

/**
 * A real daemon minus main.ts: kms-local in this process, the AwsKmsVault over the real AWS SDK,
 * config parsed from YAML text, the app bound to 127.0.0.1 on a free port. `yaml` gets
 * `{{ENDPOINT}}` replaced with kms-local's URL and `{{BASE}}` with a fresh base_dir.
 */
export async function startHarness(opts: {
  yaml: string;
  keys: readonly HarnessKey[];
  /** The KMS deadline (default 10 s: far above what a call to kms-local needs on a loaded machine). */
  kmsDeadlineMs?: number;
  requestDeadlineMs?: number;
  genericLane?: { concurrency?: number; maxQueued?: number; maxWaitMs?: number };
  /** The JWT clock (server.jwt), ms since the epoch. */
  now?: () => number;
  /** --max-auth-failures (default 20). */
  maxAuthFailures?: number;
}): Promise<Harness> {
  const local = await startLocalKms('test', opts.keys);
  const { dir: baseDir, kms } = local;
  const yaml = opts.yaml.replaceAll('{{ENDPOINT}}', kms.url).replaceAll('{{BASE}}', baseDir);
  const config = parseConfig(yaml, { env: {} });
  const { lines: logs, logger } = captureLogs('debug');
  const deps = await buildDeps(config, {
    logger,
    openVault: awsKmsOpener(opts.kmsDeadlineMs ?? 10_000, () => undefined),
    signDeadlineMs: opts.kmsDeadlineMs ?? 10_000,
    ...(opts.genericLane !== undefined ? { genericLane: opts.genericLane } : {}),
  });
  const app = createApp({
    signer: deps.signer,
    metrics: deps.metrics,
    logger,
    ...(opts.requestDeadlineMs ? { requestDeadlineMs: opts.requestDeadlineMs } : {}),
    ...(opts.maxAuthFailures !== undefined ? { maxAuthFailures: opts.maxAuthFailures } : {}),
    ...(config.server.jwt !== undefined
      ? {
          jwt: new JwtAuth(config.server.jwt, {
            ...(opts.now ? { now: opts.now } : {}),
            onSuspicious: (user) => logger.warn('JWT: Suspicious activity detected', { user }),
          }),
        }
      : {}),
  });
  // the read timeout runs from a connection's arrival: this process is both the client and the server, and a loaded
  // machine can delay the client's write by seconds (no harness test is about the read timeout)
  const main: Listening = await listen(app, '127.0.0.1:0', { readTimeoutMs: 60_000 });
  const url = `http://127.0.0.1:${main.port}`;
  const call = async (p: string, init?: RequestInit) => {
    const r = await fetch(url + p, init);
    return { status: r.status, text: await r.text(), type: r.headers.get('content-type') };
  };
  return {
    url,
    kms,
    deps,
    baseDir,
    logs,
    post: (pkh, body, query) =>
      call(`/keys/${pkh}${query ? '?' + new URLSearchParams(query).toString() : ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    get: (p) => call(p),
    async close() {
      await main.close();
      main.destroy();
      await deps.signer.close();
      await local.close();
    },
  };
}

export const VAULT_YAML = `
base_dir: {{BASE}}
vaults:
  kms:
    driver: awskms
    config:
      endpoint: {{ENDPOINT}}
      region: us-east-1
      access_key_id: AKIDTEST
      secret_access_key: test-secret
`;

/** The error body every failure of the signing listener has. */
export const failure = (msg: string) => JSON.stringify([{ id: 'failure', kind: 'temporary', msg }]) + '\n';
