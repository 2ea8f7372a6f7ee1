import { execFile, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FileWatermarkStore } from '../src';
import { CHAIN, PKH, lockRefusal as refusal, mark, slot } from './lock-slot';

// The cross-process lock is a kernel lock on `<chain>.json.ofd-lock`. Another holder is stood in for
// by a descriptor of this process (open-file-description locks exclude each other even in one
// process) or by a real child process.

let base: string;
let file: string;
let lock: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'wm-lock-'));
  mkdirSync(path.join(base, 'watermark_v2'));
  file = path.join(base, 'watermark_v2', `${CHAIN}.json`);
  lock = `${file}.ofd-lock`;
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package ships no types
const { tryLock } = require('fs-native-extensions') as { tryLock(fd: number): boolean };
const store = () => new FileWatermarkStore({ baseDir: base, lockTimeoutMs: 200 });

/** Takes the kernel lock through a descriptor of its own, with `record` as the holder's. */
function holdLock(record: string): number {
  const fd = openSync(lock, 'a+');
  expect(tryLock(fd)).toBe(true);
  writeSync(fd, record, 0);
  return fd;
}

it('a held lock is waited for, then refused naming the holder it records; nothing is written', async () => {
  const fd = holdLock(JSON.stringify({ pid: 4242, hostname: 'signer-a' }));
  try {
    const e = await refusal(store().commit(slot, mark(5)));
    expect(e.code).toBe('internal');
    expect(e.holder).toEqual({ pid: 4242, hostname: 'signer-a' });
    expect(e.message).toContain('held by process 4242 on signer-a for more than 200 ms');
    expect(e.message).toContain('kill 4242');
    expect(existsSync(file)).toBe(false);
  } finally {
    closeSync(fd);
  }
  // closing the descriptor released it: the next commit goes through at once
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
});

it('a holder that has not written its record yet is still waited for, and refused without a name', async () => {
  const fd = holdLock('');
  try {
    const e = await refusal(store().commit(slot, mark(5)));
    expect(e.holder).toBeUndefined();
    expect(e.message).toContain('held by another process');
  } finally {
    closeSync(fd);
  }
});

it('the kernel releases the lock of a process killed holding it; the next commit takes it at once', async () => {
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const fd = require('fs').openSync(${JSON.stringify(lock)}, 'a+'); console.log(require('fs-native-extensions').tryLock(fd)); setInterval(() => {}, 1e6)`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: __dirname },
  );
  const exited = new Promise((r) => holder.once('exit', r));
  expect(await new Promise((r) => holder.stdout.once('data', (d: Buffer) => r(d.toString().trim())))).toBe('true');
  await refusal(store().commit(slot, mark(5)));
  holder.kill('SIGKILL');
  await exited;
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
});

it('the lock file stays, records this process while it holds the lock, and is emptied at release', async () => {
  const seen: string[] = [];
  const s = new FileWatermarkStore({ baseDir: base, onIo: () => seen.push(readFileSync(lock, 'utf8')) });
  expect(await s.commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(seen).toHaveLength(2); // the read and the create, both under the lock
  for (const r of seen) expect(JSON.parse(r)).toEqual({ pid: process.pid, hostname: hostname() });
  expect(lstatSync(lock).isFile()).toBe(true);
  expect(readFileSync(lock, 'utf8')).toBe('');
});

it('commits in one process queue for the lock instead of refusing each other', async () => {
  const s = store();
  const results = await Promise.all([1, 2, 3, 4, 5].map((l) => s.commit(slot, mark(l))));
  expect(results).toEqual(Array(5).fill({ status: 'committed' }));
  expect((await s.get(slot))!.level).toBe(5);
});

it('two stores on one base_dir in one process exclude each other (each has its own open file)', async () => {
  const events: string[] = [];
  let second: Promise<unknown> | undefined;
  // b waits for a's lock while a writes (an fsync: seconds on a loaded disk): b must not give up
  const b = new FileWatermarkStore({ baseDir: base, lockTimeoutMs: 60_000, onIo: (io) => events.push(`b:${io.operation}`) });
  const a = new FileWatermarkStore({
    baseDir: base,
    onIo: (io) => {
      events.push(`a:${io.operation}`);
      second ??= b.commit(slot, mark(6)); // while a holds the lock, before its write
    },
  });
  expect(await a.commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(await second).toEqual({ status: 'committed' });
  expect(events).toEqual(['a:read', 'a:create', 'b:read', 'b:write']);
});

it('a lock file deleted or replaced while held fails the commit before its rename: nothing changes', async () => {
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  const s = new FileWatermarkStore({
    baseDir: base,
    onIo: (io) => {
      if (io.operation === 'read') {
        // what a hand-run `rm`, or another tool writing the file anew, does
        writeFileSync(`${lock}.new`, '');
        renameSync(`${lock}.new`, lock);
      }
    },
  });
  const e = await refusal(s.commit(slot, mark(6)));
  expect(e.message).toContain('was deleted or replaced while this process held its lock');
  expect((await store().get(slot))!.level).toBe(5);
  expect(await store().commit(slot, mark(6))).toEqual({ status: 'committed' }); // the new file is the lock from now on
});

it('a symbolic link where the lock file goes is refused, never followed', async () => {
  symlinkSync(path.join(base, 'elsewhere'), lock);
  const e = await refusal(store().commit(slot, mark(5)));
  expect(e.message).toContain('is a symbolic link');
  expect(existsSync(path.join(base, 'elsewhere'))).toBe(false);
  expect(existsSync(file)).toBe(false);
});

it('where file locks are unavailable, the start-up check and every commit fail saying so; nothing is written', async () => {
  // a platform the binding has no build for, stood in for by a child process in which it fails to load
  const script = `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === 'fs-native-extensions') throw new Error('no build for this platform');
      return resolve.call(this, request, ...rest);
    };
    const { checkBaseDir, FileWatermarkStore, WatermarkLockError } = require(${JSON.stringify(path.join(__dirname, '..'))});
    const { watermarkSlot } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'core'))});
    (async () => {
      const start = await checkBaseDir(process.argv[1]).then(() => 'started', (e) => e.constructor.name + ': ' + e.message);
      const store = new FileWatermarkStore({ baseDir: process.argv[1] });
      const mark = { level: 5, round: 0, digest: new Uint8Array(32), signature: 'sig5' };
      const commit = await store.commit(watermarkSlot('${CHAIN}', '${PKH}', 'block'), mark).then(
        (r) => JSON.stringify(r),
        (e) => (e instanceof WatermarkLockError ? 'WatermarkLockError: ' : '') + e.message,
      );
      console.log(JSON.stringify({ start, commit }));
    })();
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, base]);
  const { start, commit } = JSON.parse(stdout) as { start: string; commit: string };
  expect(start).toMatch(
    /^BaseDirError: base_dir .*: cannot lock files in .*watermark_v2: files cannot be locked here \(no build for this platform\)/,
  );
  expect(commit).toMatch(
    /^WatermarkLockError: cannot lock watermark file: .*ofd-lock cannot be locked \(no build for this platform\)\. base_dir must be on a local file system with working file locks/,
  );
  expect(existsSync(file)).toBe(false);
});
