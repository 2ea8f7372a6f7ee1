import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnKmsLocal, type SpawnedKmsLocal } from '@signatory-ts/kms-local';
import { b58Encode, fromHex } from '@signatory-ts/core';
import { block } from './payloads';
import { createKeys, run, SIGNATORY_BIN, startSignatory, stop, writeConfig, type KmsKey, type Proc } from './processes';

// base_dir is checked before the daemon starts, and /healthz reflects the watermark store: real
// `kms-local` and `signatory serve` processes on loopback.
let dir: string;
let kms: SpawnedKmsLocal;
let keys: KmsKey[];
const started: Proc[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signatory-basedir-'));
  kms = await spawnKmsLocal({ dir: path.join(dir, 'kms') });
  keys = await createKeys(kms.url, ['ECC_NIST_P256']);
});
afterAll(async () => {
  for (const p of started) await stop(p, 'SIGKILL');
  await kms.stop();
  await rm(dir, { recursive: true, force: true });
});

async function config(baseDir: string): Promise<string> {
  const file = path.join(dir, `signatory-${started.length}-${Math.random().toString(36).slice(2)}.yaml`);
  await writeConfig(file, { baseDir, kmsUrl: kms.url, keys });
  return file;
}

/** Runs `signatory serve` expected to refuse to start: its exit code and stderr. */
async function refusedStart(baseDir: string): Promise<{ code: number | null; stderr: string[] }> {
  const p = run([SIGNATORY_BIN, 'serve', '-c', await config(baseDir)], 'stderr');
  started.push(p);
  const code = await p.exited;
  return { code, stderr: p.lines.filter((l) => !/level=(info|debug)/.test(l)) };
}

describe('base_dir is checked at start', () => {
  it('a regular file as base_dir: the daemon does not start, and says which path and what to do', async () => {
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const { code, stderr } = await refusedStart(file);
    expect(code).toBe(1);
    expect(stderr).toEqual([
      `signatory: base_dir ${file}: ${file} exists and is not a directory. Set base_dir (or --base-dir) to a writable directory on a local disk`,
    ]);
  }, 30_000);

  it.each(['/proc/signatory-test', '/sys/signatory-test', '/dev/signatory-test'])(
    'base_dir %s (a kernel pseudo file system) is refused, nothing created',
    async (baseDir) => {
      const { code, stderr } = await refusedStart(baseDir);
      expect(code).toBe(1);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(
        new RegExp(`^signatory: base_dir ${baseDir}: /\\w+ is under /\\w+, a kernel pseudo file system\\. Set base_dir`),
      );
      await expect(readdir(baseDir)).rejects.toThrow(/ENOENT/);
    },
    30_000,
  );

  it('a missing base_dir is created', async () => {
    const baseDir = path.join(dir, 'new', 'nested');
    const s = await startSignatory(await config(baseDir));
    started.push(s.proc);
    expect(await readdir(baseDir)).toEqual(['watermark_v2']);
    expect(await readdir(path.join(baseDir, 'watermark_v2'))).toEqual([]); // the probe file is gone
    await stop(s.proc);
  }, 30_000);
});

describe('/healthz reflects the watermark store', () => {
  it('503 naming the problem once a commit fails, 200 again as soon as the store works, with no request in between', async () => {
    const baseDir = path.join(dir, 'health');
    const s = await startSignatory(await config(baseDir));
    started.push(s.proc);
    const health = async () => {
      const r = await fetch(`${s.utilityUrl}/healthz`);
      return { status: r.status, body: (await r.json()) as { ready: boolean; watermark_store?: string } };
    };
    const sign = async (level: number) =>
      (
        await fetch(`${s.url}/keys/${keys[0]!.pkh}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(block(level, 0, 0, CHAIN_HEX)),
        })
      ).status;
    const wm = path.join(baseDir, 'watermark_v2');
    const chainFile = path.join(wm, `${b58Encode('Net', fromHex(CHAIN_HEX))}.json`);

    expect(await sign(1)).toBe(200);
    expect(await health()).toEqual({ status: 200, body: { ready: true } });

    // a damaged chain file: the commit fails, /healthz says why until the file is repaired
    await writeFile(chainFile, '{"truncated');
    expect(await sign(2)).toBe(500);
    const broken = await health();
    expect(broken.status).toBe(503);
    expect(broken.body.ready).toBe(false);
    expect(broken.body.watermark_store).toContain(`watermark file ${chainFile} is unreadable`);
    expect((await health()).status).toBe(503); // re-checked, still broken
    await writeFile(chainFile, '{}');
    expect(await health()).toEqual({ status: 200, body: { ready: true } });

    // the directory gone (replaced by a file): commits fail with an I/O error until it is back
    await rename(wm, `${wm}.moved`);
    await writeFile(wm, '');
    expect(await sign(3)).toBe(500);
    expect((await health()).body.watermark_store).toMatch(/EEXIST|ENOTDIR/);
    await rm(wm);
    await rename(`${wm}.moved`, wm);
    expect(await health()).toEqual({ status: 200, body: { ready: true } });
    expect(await sign(3)).toBe(200);
    await stop(s.proc);
  }, 60_000);
});

const CHAIN_HEX = 'a0000042';
