import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { encodePublicKey, pkhOf, publicKeyFromSpki } from '@signatory-ts/core';

/**
 * Real processes for end-to-end tests: the built `signatory` binary (jest.config.js builds it, and kms-local, which
 * the suites start with kms-local's spawnKmsLocal).
 */
export const SIGNATORY_BIN = path.resolve(__dirname, '..', 'dist', 'main.js');
export const CREDS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

export interface Proc {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line matching `re` (already seen or to come). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor(re, ms = 20_000) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${lines.join('\n')}`)), ms);
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

export async function createKeys(
  url: string,
  specs: readonly ('ECC_NIST_EDWARDS25519' | 'ECC_SECG_P256K1' | 'ECC_NIST_P256')[],
): Promise<KmsKey[]> {
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

export async function startSignatory(
  configFile: string,
  extra: string[] = [],
  wrap: readonly string[] = [],
): Promise<{ proc: Proc; url: string; utilityUrl: string }> {
  const proc = run([SIGNATORY_BIN, 'serve', '-c', configFile, ...extra], 'stderr', wrap);
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

export async function stop(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}
