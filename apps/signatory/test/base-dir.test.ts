import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { b58Encode, fromHex } from '@signatory-ts/core';
import { block } from './payloads';
import { E2e, healthz, stop } from './processes';

// base_dir is checked before the daemon starts, and /healthz reflects the watermark store: real
// `kms-local` and `signatory serve` processes on loopback.
let e2e: E2e;

beforeAll(async () => {
  e2e = await E2e.start('basedir', ['ECC_NIST_P256']);
});
afterAll(() => e2e?.stop());

const config = (baseDir: string) =>
  e2e.config(path.join(e2e.dir, `signatory-${e2e.started.length}-${Math.random().toString(36).slice(2)}.yaml`), { baseDir });

/** Runs `signatory serve` expected to refuse to start: its exit code and stderr. */
async function refusedStart(baseDir: string): Promise<{ code: number | null; stderr: string[] }> {
  const p = e2e.spawn({ config: await config(baseDir) });
  const code = await p.exited;
  return { code, stderr: p.lines.filter((l) => !/level=(info|debug)/.test(l)) };
}

describe('base_dir is checked at start', () => {
  it('a regular file as base_dir: the daemon does not start, and says which path and what to do', async () => {
    const file = path.join(e2e.dir, 'not-a-dir');
    await writeFile(file, 'x');
    const { code, stderr } = await refusedStart(file);
    expect(code).toBe(1);
    expect(stderr).toEqual([
      `signatory: base_dir ${file}: ${file} exists and is not a directory. Set base_dir (or --base-dir) to a writable directory on a local disk`,
    ]);
  }, 120_000);

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
    const baseDir = path.join(e2e.dir, 'new', 'nested');
    const s = await e2e.serve({ config: await config(baseDir) });
    expect(await readdir(baseDir)).toEqual(['watermark_v2']);
    expect(await readdir(path.join(baseDir, 'watermark_v2'))).toEqual([]); // the probe file is gone
    await stop(s.proc);
  }, 120_000);
});

describe('/healthz reflects the watermark store', () => {
  it('503 naming the problem once a commit fails, 200 again as soon as the store works, with no request in between', async () => {
    const baseDir = path.join(e2e.dir, 'health');
    const s = await e2e.serve({ config: await config(baseDir) });
    const health = () => healthz(s.utilityUrl);
    const sign = async (level: number) => (await e2e.post(s.url, block(level, 0, 0, CHAIN_HEX))).status;
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
  }, 120_000);
});

const CHAIN_HEX = 'a0000042';
