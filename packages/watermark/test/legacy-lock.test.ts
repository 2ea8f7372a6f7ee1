import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { FileWatermarkStore } from '../src';
import { CHAIN, lockRefusal, mark, slot } from './lock-slot';

// Lock files an earlier version left (`<chain>.json.lock`, a symbolic link whose target is the
// holder's record, or a regular file holding it; `<chain>.json.lock.takeover`), as during an
// upgrade. Live and dead holders are real pids: this process, and a child that has exited.

let base: string;
let dir: string;
let file: string;
let legacy: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'wm-legacy-'));
  dir = path.join(base, 'watermark_v2');
  mkdirSync(dir);
  file = path.join(dir, `${CHAIN}.json`);
  legacy = `${file}.lock`;
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
const self = {
  pidNs: readlinkSync('/proc/self/ns/pid'),
  startTime: (() => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  })(),
  bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
};
const record = (fields: object = {}) => JSON.stringify({ pid: process.pid, hostname: hostname(), token: 'theirs', ...fields });
/** A symbolic link's target is the record: it dangles, which existsSync would not see. */
const present = (p: string) => lstatSync(p, { throwIfNoEntry: false }) !== undefined;
const store = () => new FileWatermarkStore({ baseDir: base, lockTimeoutMs: 200 });

async function refused(fields: string, expected: string): Promise<void> {
  const e = await lockRefusal(store().commit(slot, mark(5)));
  expect(e.message).toContain(expected);
  expect(e.message).toContain('then delete that file');
  expect(existsSync(file)).toBe(false);
  expect(present(legacy)).toBe(true);
  expect(readlinkSync(legacy)).toBe(fields);
}

it.each([
  ['a dead pid', { pid: deadPid }],
  ['a dead pid, recorded with this namespace and a start time', { pid: deadPid, pidNs: self.pidNs, startTime: self.startTime }],
  ['a live pid that started at another time (recycled)', { pidNs: self.pidNs, startTime: String(Number(self.startTime) + 1) }],
  ['an earlier boot', { bootId: 'an-earlier-boot', pidNs: 'pid:[1]' }],
])('a lock record of %s is removed, and the commit goes on', async (_, fields) => {
  symlinkSync(record(fields), legacy);
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(present(legacy)).toBe(false);
});

it.each([
  ['a live process of this namespace', record(self), `held by process ${process.pid} that is alive`],
  ['a live pid, recorded without namespace (the oldest records)', record(), `held by process ${process.pid} that is alive`],
  [
    'another PID namespace',
    record({ pid: 1, pidNs: 'pid:[1]', startTime: '1', bootId: self.bootId }),
    'of another PID namespace (pid:[1])',
  ],
  ['another host, even with a pid dead here', record({ pid: deadPid, hostname: 'other-host' }), 'on another host (other-host)'],
  ['no record', 'not a lock record', 'holds no lock record'],
])('a lock of %s is refused, and left for an operator', async (_, text, expected) => {
  symlinkSync(text, legacy);
  await refused(text, expected);
});

it('a regular file holding a record (earlier still) is read the same way', async () => {
  writeFileSync(legacy, record({ pid: deadPid }));
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(present(legacy)).toBe(false);
  writeFileSync(legacy, record());
  const e = await lockRefusal(store().commit(slot, mark(6)));
  expect(e.message).toContain('that is alive');
  expect(readFileSync(legacy, 'utf8')).toBe(record());
});

it('a takeover file left by a dead process is removed with the lock, and the dead writer’s temporary files are swept', async () => {
  const s = store();
  expect(await s.commit(slot, mark(4))).toEqual({ status: 'committed' }); // this store's first-commit sweep is done
  symlinkSync(record({ pid: deadPid }), legacy);
  symlinkSync(record({ pid: deadPid }), `${legacy}.takeover`);
  writeFileSync(path.join(dir, `.${CHAIN}.json.${deadPid}.0123456789abcdef.3.tmp`), '{');
  expect(await s.commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(readdirSync(dir).sort()).toEqual([`${CHAIN}.json`, `${CHAIN}.json.ofd-lock`]);
});

it('a lock directory (an older signer’s) is refused, never removed', async () => {
  mkdirSync(legacy);
  const e = await lockRefusal(store().commit(slot, mark(5)));
  expect(e.message).toContain('cannot be read');
  expect(lstatSync(legacy).isDirectory()).toBe(true);
  expect(existsSync(file)).toBe(false);
});
