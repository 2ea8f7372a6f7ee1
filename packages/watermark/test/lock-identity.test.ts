import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lutimesSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { watermarkSlot } from '@signatory-ts/core';
import { FileWatermarkStore, WatermarkLockError } from '../src';
import { commitOnce, startWorker, type Worker } from './fixtures/worker';

// A holder is a process, not a pid: pids are recycled, and a signer that is PID 1 in a container is
// PID 1 again after a restart. Containers are stood in for by `unshare --pid --fork --mount-proc`
// (a new PID namespace; same host name and boot id), which needs root and util-linux.

const CHAIN = 'NetXo5iVw1vBoxM';
const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const slot = watermarkSlot(CHAIN, PKH, 'block');
const mark = (level: number) => ({ level, round: 0, digest: new Uint8Array(32).fill(level), signature: `sig${level}` });
const CONTAINER = ['unshare', '--pid', '--fork', '--mount-proc'];
const canUnshare = process.platform === 'linux' && spawnSync(CONTAINER[0]!, [...CONTAINER.slice(1), 'true']).status === 0;

let base: string;
let lock: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'wm-ident-'));
  mkdirSync(path.join(base, 'watermark_v2'));
  lock = path.join(base, 'watermark_v2', `${CHAIN}.json.lock`);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const self = {
  pidNs: readlinkSync('/proc/self/ns/pid'),
  startTime: (() => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  })(),
  bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
};
const record = (fields: object) => JSON.stringify({ pid: process.pid, hostname: hostname(), token: 'theirs', bootId: self.bootId, ...fields });
const store = (lockTimeoutMs = 200) => new FileWatermarkStore({ baseDir: base, lockTimeoutMs });

async function refusal(p: Promise<unknown>): Promise<WatermarkLockError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(WatermarkLockError);
  return e as WatermarkLockError;
}

/** A worker that has taken the lock and is paused right before its rename, holding it. */
async function holding(wrapper: string[]): Promise<Worker> {
  const w = startWorker(wrapper, 'once', base, '10', 'holder', '5000', '600000');
  await w.waitFor((l) => l.ready === true);
  w.child.stdin.write('go\n');
  await w.waitFor((l) => l.pausing === true);
  return w;
}

/** SIGKILLs the node process unshare forked (PID 1 of its namespace); unshare exits once it is reaped. */
async function killContainer(w: Worker): Promise<void> {
  const init = Number(readFileSync(`/proc/${w.child.pid}/task/${w.child.pid}/children`, 'utf8').trim());
  process.kill(init, 'SIGKILL');
  await w.exited;
}

it('the lock records the holder’s PID namespace and start time', async () => {
  const seen: string[] = [];
  const s = new FileWatermarkStore({ baseDir: base, onIo: () => seen.push(readlinkSync(lock)) });
  expect(await s.commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(JSON.parse(seen[0]!)).toEqual(expect.objectContaining({ pid: process.pid, pidNs: self.pidNs, startTime: self.startTime }));
});

it('a record with this process’s pid from another PID namespace, made before this process started, is a previous run of this signer: taken over', async () => {
  symlinkSync(record({ pidNs: 'pid:[1]', startTime: '1' }), lock);
  const before = new Date(performance.timeOrigin - 1000);
  lutimesSync(lock, before, before);
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(existsSync(`${lock}`)).toBe(false);
});

it('a record with this process’s pid from another PID namespace, made while this process runs, is a live namesake: refused', async () => {
  symlinkSync(record({ pidNs: 'pid:[1]', startTime: '1' }), lock);
  const e = await refusal(store().commit(slot, mark(5)));
  expect(e.message).toContain('of another PID namespace');
  expect(readlinkSync(lock)).toBe(record({ pidNs: 'pid:[1]', startTime: '1' }));
});

it('an earlier version’s record (no namespace, no start time) with this process’s pid, made before this process started, is taken over', async () => {
  const before = new Date(performance.timeOrigin - 1000);
  writeFileSync(lock, JSON.stringify({ pid: process.pid, hostname: hostname(), token: 'theirs' }));
  utimesSync(lock, before, before);
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  symlinkSync(JSON.stringify({ pid: process.pid, hostname: hostname(), token: 'theirs' }), lock);
  lutimesSync(lock, before, before);
  expect(await store().commit(slot, mark(6))).toEqual({ status: 'committed' });
  // made while this process runs: a live process with this pid made it (waited for, refused)
  symlinkSync(JSON.stringify({ pid: process.pid, hostname: hostname(), token: 'theirs' }), lock);
  await refusal(store().commit(slot, mark(7)));
});

it('a record with a live pid of this namespace but another start time is a recycled pid: taken over', async () => {
  symlinkSync(record({ pidNs: self.pidNs, startTime: String(Number(self.startTime) + 1) }), lock);
  expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  symlinkSync(record({ pid: 1, pidNs: self.pidNs, startTime: '999999999' }), lock);
  expect(await store().commit(slot, mark(6))).toEqual({ status: 'committed' });
});

it('a record of this very process (another store on the same base_dir) is waited for, never taken over', async () => {
  symlinkSync(record(self), lock);
  const e = await refusal(store().commit(slot, mark(5)));
  expect(e.message).toContain(`held by process ${process.pid}`);
  expect(readlinkSync(lock)).toBe(record(self));
});

it('a live holder in this namespace (a real process, paused mid-commit) is never taken over', async () => {
  const w = await holding([]);
  try {
    const held = readlinkSync(lock);
    expect(JSON.parse(held)).toEqual(expect.objectContaining({ pid: w.child.pid, pidNs: self.pidNs }));
    const e = await refusal(store().commit(slot, mark(11)));
    expect(e.message).toContain(`held by process ${w.child.pid}`);
    expect(readlinkSync(lock)).toBe(held);
  } finally {
    w.child.kill('SIGKILL');
    await w.exited;
  }
}, 30_000);

(canUnshare ? it : it.skip)('a signer that is PID 1 in a container, killed holding the lock, does not lock out the next PID 1', async () => {
  const first = await holding(CONTAINER);
  const held = JSON.parse(readlinkSync(lock)) as Record<string, unknown>;
  expect(held).toEqual(expect.objectContaining({ pid: 1 }));
  expect(held.pidNs).not.toBe(self.pidNs);
  await killContainer(first);
  expect(await commitOnce(CONTAINER, base, 11, 'second', 2000)).toEqual({ level: 11, status: 'signed', signature: 'sig/second/11' });
  // and again: the second one left the lock free, a third PID 1 commits at once
  expect(await commitOnce(CONTAINER, base, 12, 'third', 2000)).toEqual({ level: 12, status: 'signed', signature: 'sig/third/12' });
}, 60_000);

(canUnshare ? it : it.skip)('a live holder in another PID namespace (not our pid) is refused, saying what to check and how to clear it', async () => {
  const w = await holding(CONTAINER);
  try {
    const held = readlinkSync(lock);
    const e = await refusal(store().commit(slot, mark(11)));
    expect(e.message).toContain('of another PID namespace');
    expect(e.message).toContain('then delete the lock file');
    expect(readlinkSync(lock)).toBe(held);
    expect(existsSync(path.join(base, 'watermark_v2', `${CHAIN}.json`))).toBe(false);
  } finally {
    await killContainer(w);
  }
  // once it is gone, liveness still cannot be told from here (another namespace): still refused, never guessed
  await refusal(store().commit(slot, mark(11)));
}, 60_000);

(canUnshare ? it : it.skip)('two live signers that are both PID 1 in their namespaces never take over each other’s lock', async () => {
  // B starts first; A, started after it, takes the lock and stays paused holding it
  const b = startWorker(CONTAINER, 'once', base, '11', 'b', '500');
  await b.waitFor((l) => l.ready === true);
  const a = await holding(CONTAINER);
  try {
    const held = readlinkSync(lock);
    expect(JSON.parse(held)).toEqual(expect.objectContaining({ pid: 1 }));
    b.child.stdin.write('go\n');
    const result = await b.waitFor((l) => l.level === 11);
    expect(result).toEqual(expect.objectContaining({ error: 'WatermarkLockError', holder: expect.objectContaining({ pid: 1 }) }));
    expect(result.message).toContain('of another PID namespace');
    expect(readlinkSync(lock)).toBe(held);
    expect(existsSync(path.join(base, 'watermark_v2', `${CHAIN}.json`))).toBe(false);
  } finally {
    await killContainer(a);
    await b.exited;
  }
}, 60_000);

it('a holder that died but is not reaped yet (a zombie: its parent does not wait) is dead: taken over', async () => {
  // sh starts a child that exits at once, then becomes `sleep`, which never reaps it
  const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 600'], { stdio: 'ignore' });
  try {
    const stat = (pid: number) => {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return { state: fields[0], startTime: fields[19]! };
    };
    let zombie: number | undefined;
    while (zombie === undefined) {
      // wait for the child's exit, as /proc shows it
      const pid = Number(readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim() || NaN);
      if (Number.isInteger(pid) && stat(pid).state === 'Z') zombie = pid;
      else await new Promise((r) => setImmediate(r));
    }
    const { startTime } = stat(zombie);
    symlinkSync(record({ pid: zombie, pidNs: self.pidNs, startTime }), lock);
    expect(await store().commit(slot, mark(5))).toEqual({ status: 'committed' });
  } finally {
    const exited = new Promise((r) => parent.once('exit', r));
    parent.kill('SIGKILL');
    await exited;
  }
});
