import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { watermarkSlot } from '@signatory-ts/core';
import { FileWatermarkStore, WatermarkLockError } from '../src';

// The cross-process lock as other processes leave it: lock records written here stand for another
// signer's. Live/dead holders are real pids (this process; a child that has exited).

const CHAIN = 'NetXo5iVw1vBoxM';
const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const slot = watermarkSlot(CHAIN, PKH, 'block');
const mark = (level: number) => ({ level, round: 0, digest: new Uint8Array(32).fill(level), signature: `sig${level}` });

let base: string;
let file: string;
let lock: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'wm-lock-'));
  mkdirSync(path.join(base, 'watermark_v2'));
  file = path.join(base, 'watermark_v2', `${CHAIN}.json`);
  lock = `${file}.lock`;
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const deadPid = (() => {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
})();
const record = (pid: number, host = hostname(), extra: object = {}) => JSON.stringify({ pid, hostname: host, token: 'theirs', ...extra });
/** The lock is a symbolic link (dangling: its target is the record), which existsSync would not see. */
const present = (p: string) => lstatSync(p, { throwIfNoEntry: false }) !== undefined;
const store = () => new FileWatermarkStore({ baseDir: base, lockTimeoutMs: 200 });

async function refusal(p: Promise<unknown>): Promise<WatermarkLockError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(WatermarkLockError);
  return e as WatermarkLockError;
}

it('a lock held by a live process on this host is waited for, then refused naming its pid; nothing is written', async () => {
  writeFileSync(lock, record(process.pid));
  const e = await refusal(store().commit(slot, mark(5)));
  expect(e.code).toBe('internal');
  expect(e.holder).toEqual({ pid: process.pid, hostname: hostname(), token: 'theirs' });
  expect(e.message).toContain(`held by process ${process.pid}`);
  expect(e.message).toContain(`kill ${process.pid}`);
  expect(existsSync(file)).toBe(false);
  expect(readFileSync(lock, 'utf8')).toBe(record(process.pid));
});

it("a dead process's lock on this host is taken over, and released after the commit", async () => {
  writeFileSync(lock, record(deadPid));
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(await store().get(slot)).toEqual(expect.objectContaining({ level: 5 }));
  expect(present(lock)).toBe(false);
});

it('a lock from another host is never taken over, even with a pid dead here', async () => {
  writeFileSync(lock, record(deadPid, 'other-host'));
  const e = await refusal(store().commit(slot, mark(5)));
  expect(e.message).toContain('process ' + deadPid + ' on another host (other-host)');
  expect(e.message).toContain('shared store');
  expect(readFileSync(lock, 'utf8')).toBe(record(deadPid, 'other-host'));
  expect(existsSync(file)).toBe(false);
});

const bootId = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
})();
(bootId ? it : it.skip)('a lock taken before the last reboot is taken over even if its pid is alive again', async () => {
  writeFileSync(lock, record(process.pid, hostname(), { bootId: 'an-earlier-boot' }));
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  writeFileSync(lock, record(process.pid, hostname(), { bootId }));
  await refusal(store().commit(slot, mark(6)));
});

it('a lock file without a lock record (empty, or an older signer’s lock directory) is refused, never removed', async () => {
  writeFileSync(lock, '');
  expect((await refusal(store().commit(slot, mark(5)))).message).toContain('holds no lock record');
  expect(readFileSync(lock, 'utf8')).toBe('');
  rmSync(lock);
  mkdirSync(lock);
  await refusal(store().commit(slot, mark(5)));
  expect(present(lock)).toBe(true);
  expect(existsSync(file)).toBe(false);
});

it('a takeover left behind by a process that died mid-takeover is refused, naming both files', async () => {
  writeFileSync(lock, record(deadPid));
  writeFileSync(`${lock}.takeover`, record(deadPid));
  const e = await refusal(store().commit(slot, mark(5)));
  expect(e.message).toContain(`${lock}.takeover`);
  expect(e.message).toContain('delete both files');
  expect(present(lock)).toBe(true);
  expect(existsSync(file)).toBe(false);
});

it('commits in one process queue for the lock instead of refusing each other', async () => {
  const s = store();
  const results = await Promise.all([1, 2, 3, 4, 5].map((l) => s.commit(slot, mark(l))));
  expect(results).toEqual(Array(5).fill({ status: 'committed' }));
  expect((await s.get(slot))!.level).toBe(5);
  expect(present(lock)).toBe(false);
});

it('the lock is a symbolic link whose target is the holder record, there while the file is read and written', async () => {
  const seen: string[] = [];
  const s = new FileWatermarkStore({
    baseDir: base,
    onIo: () => {
      if (lstatSync(lock).isSymbolicLink()) seen.push(readlinkSync(lock));
    },
  });
  expect(await s.commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(seen).toHaveLength(2); // the read and the create, both under the lock
  for (const target of seen) expect(JSON.parse(target)).toMatchObject({ pid: process.pid, hostname: hostname() });
  expect(present(lock)).toBe(false);
});

it("a dead process's symbolic-link lock is taken over too", async () => {
  symlinkSync(record(deadPid), lock);
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(present(lock)).toBe(false);
});

it("a live process's symbolic-link lock is waited for and refused, never removed", async () => {
  symlinkSync(record(process.pid), lock);
  const e = await refusal(store().commit(slot, mark(5)));
  expect(e.holder).toMatchObject({ pid: process.pid });
  expect(readlinkSync(lock)).toBe(record(process.pid));
  expect(existsSync(file)).toBe(false);
});
