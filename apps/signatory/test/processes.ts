import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { encodePublicKey, pkhOf, publicKeyFromSpki } from '@signatory-ts/core';
import { spawnKmsLocal, type SpawnedKmsLocal } from '@signatory-ts/kms-local';

/**
 * Real processes for end-to-end tests: the built `signatory` binary (jest.config.js builds it, and kms-local, which
 * the suites start with kms-local's spawnKmsLocal).
 */
export const SIGNATORY_BIN = path.resolve(__dirname, '..', 'dist', 'main.js');
export const CREDS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

export interface Proc {
  readonly child: ChildProcess;
  readonly lines: string[];
  /**
   * Resolves with the first line matching `re` (already seen or to come); rejects if the process ends without one,
   * or after `ms` when given (else jest's timeout bounds the wait: a loaded machine can take long to start a process).
   */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** The exit code, once the process has exited and every line it wrote is in `lines`. */
  exited: Promise<number | null>;
}

/** Runs node with `args` (under `wrap`, e.g. `['prlimit', '--nofile=1024:1024']`, when given). */
export function run(args: string[], stream: 'stdout' | 'stderr', wrap: readonly string[] = []): Proc {
  const [cmd, ...pre] = [...wrap, process.execPath];
  const child = spawn(cmd!, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const rl = readline.createInterface({ input: child[stream]! });
  child[stream === 'stdout' ? 'stderr' : 'stdout']!.resume();
  rl.on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      const m = w.re.exec(line);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  // 'close', not 'exit': 'exit' can come before the last lines are read, and a test that checks what a process
  // said once it exited (or a waitFor that gives up when it exits) would then miss them on a slow machine
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor(re, ms) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const t =
          ms === undefined
            ? undefined
            : setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${lines.join('\n')}`)), ms);
        waiters.push({
          re,
          resolve: (m) => {
            clearTimeout(t);
            resolve(m);
          },
        });
        void exited.then((code) => reject(new Error(`process exited (${code}) before ${re}; output:\n${lines.join('\n')}`)));
      });
    },
  };
}

export interface KmsKey {
  readonly keyId: string;
  readonly pkh: string;
  readonly publicKey: string;
}

export type KmsKeySpec = 'ECC_NIST_EDWARDS25519' | 'ECC_SECG_P256K1' | 'ECC_NIST_P256';

export async function createKeys(url: string, specs: readonly KmsKeySpec[]): Promise<KmsKey[]> {
  const kms = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: CREDS });
  const out: KmsKey[] = [];
  for (const spec of specs) {
    const c = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }));
    const p = await kms.send(new GetPublicKeyCommand({ KeyId: c.KeyMetadata!.KeyId! }));
    const pk = publicKeyFromSpki(new Uint8Array(p.PublicKey!));
    out.push({ keyId: c.KeyMetadata!.KeyId!, pkh: pkhOf(pk), publicKey: encodePublicKey(pk) });
  }
  kms.destroy();
  return out;
}

export async function writeConfig(
  file: string,
  o: { baseDir: string; kmsUrl: string; keys: readonly KmsKey[]; allow?: string },
): Promise<void> {
  const allow = o.allow ?? '{block: , preattestation: , attestation: , generic: [transaction, reveal, delegation]}';
  await writeFile(
    file,
    [
      `base_dir: ${o.baseDir}`,
      'server:',
      '  address: 127.0.0.1:0',
      '  utility_address: 127.0.0.1:0',
      'vaults:',
      '  kms:',
      '    driver: awskms',
      '    config:',
      `      endpoint: ${o.kmsUrl}`,
      '      region: us-east-1',
      `      access_key_id: ${CREDS.accessKeyId}`,
      `      secret_access_key: ${CREDS.secretAccessKey}`,
      'tezos:',
      ...o.keys.map((k) => `  ${k.pkh}:\n    allow: ${allow}`),
      '',
    ].join('\n'),
  );
}

/** Waits for `signatory serve` to log both listeners' addresses. */
async function listening(proc: Proc): Promise<{ proc: Proc; url: string; utilityUrl: string }> {
  const m = await proc.waitFor(/msg="HTTP server is listening for connections on (\S+)"/);
  const u = await proc.waitFor(/Utility HTTP server is listening for connections on (\S+)"/);
  return { proc, url: `http://${m[1]}`, utilityUrl: `http://${u[1]}` };
}

/** POST /keys/<pkh> with the JSON string `hex`: the status and the body's text. */
export async function postSign(url: string, pkh: string, hex: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`${url}/keys/${pkh}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(hex),
  });
  return { status: r.status, text: await r.text() };
}

/** GET /healthz of the utility listener: the status and the body. */
export async function healthz(utilityUrl: string): Promise<{ status: number; body: { ready: boolean; watermark_store?: string } }> {
  const r = await fetch(`${utilityUrl}/healthz`);
  return { status: r.status, body: (await r.json()) as { ready: boolean; watermark_store?: string } };
}

/** Polls `probe` until it gives a value (jest's timeout bounds the wait). */
export async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls `cond` until it holds (jest's timeout bounds the wait). */
export async function until(cond: () => boolean): Promise<void> {
  await waitFor(async () => (cond() ? true : undefined));
}

export async function stop(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}

/**
 * One e2e suite's world on loopback: a fresh temp dir, kms-local spawned in it with a key of each of `specs`,
 * `signatory.yaml` there for those keys (writeConfig's defaults, base_dir the temp dir), and every `signatory serve`
 * started through it. stop() kills what still runs, stops kms-local and removes the dir.
 */
export class E2e {
  readonly started: Proc[] = [];
  readonly configFile: string;

  private constructor(
    readonly dir: string,
    readonly kms: SpawnedKmsLocal,
    readonly keys: KmsKey[],
  ) {
    this.configFile = path.join(dir, 'signatory.yaml');
  }

  /** `name` goes in the temp dir's name; `kmsArgs` are more kms-local flags. */
  static async start(name: string, specs: readonly KmsKeySpec[], kmsArgs: readonly string[] = []): Promise<E2e> {
    const dir = await mkdtemp(path.join(tmpdir(), `signatory-${name}-`));
    let kms: SpawnedKmsLocal | undefined;
    try {
      kms = await spawnKmsLocal({ dir: path.join(dir, 'kms'), args: kmsArgs });
      const e2e = new E2e(dir, kms, await createKeys(kms.url, specs));
      await e2e.config(e2e.configFile);
      return e2e;
    } catch (e) {
      await kms?.stop();
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Writes `file` for this suite's kms-local (writeConfig) and appends `extra` (a `watermark:` block, say). */
  async config(file: string, o: { baseDir?: string; keys?: readonly KmsKey[]; allow?: string; extra?: string } = {}): Promise<string> {
    await writeConfig(file, { baseDir: o.baseDir ?? this.dir, kmsUrl: this.kms.url, keys: o.keys ?? this.keys, allow: o.allow });
    if (o.extra !== undefined) await appendFile(file, o.extra);
    return file;
  }

  /**
   * `signatory serve -c <config>` (this suite's unless given) as a child process, not waited for. Its read timeout is
   * 60 s unless `args` set one: it runs from the moment the daemon accepts a connection, and on a loaded machine this
   * process (the client, busy with many requests) can take seconds to write a request on a connection it opened.
   */
  spawn(o: { config?: string; args?: string[]; wrap?: readonly string[] } = {}): Proc {
    const args = [SIGNATORY_BIN, 'serve', '-c', o.config ?? this.configFile, '--read-timeout-ms', '60000', ...(o.args ?? [])];
    const p = run(args, 'stderr', o.wrap);
    this.started.push(p);
    return p;
  }

  /** spawn(), then waits until both listeners listen. */
  serve(o: { config?: string; args?: string[]; wrap?: readonly string[] } = {}): Promise<{ proc: Proc; url: string; utilityUrl: string }> {
    return listening(this.spawn(o));
  }

  /** postSign for the first key. */
  post(url: string, hex: string): Promise<{ status: number; text: string }> {
    return postSign(url, this.keys[0]!.pkh, hex);
  }

  async stop(): Promise<void> {
    for (const p of this.started) await stop(p, 'SIGKILL');
    await this.kms.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
