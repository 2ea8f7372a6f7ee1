import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileWatermarkStore } from '../src';
import { CHAIN, lockRefusal as refusal, mark, slot } from './lock-slot';
import { commitOnce, startWorker, type Worker } from './fixtures/worker';

// The lock belongs to a process, whatever its pid: a signer that is PID 1 in a container is PID 1
// again after a restart, and two containers both have a PID 1. The kernel holds the lock, so none
// of that matters; these tests check it with real processes. Containers are stood in for by
// `unshare --pid --fork --mount-proc` (a new PID namespace; same host name and boot id), which
// needs root and util-linux.

const CONTAINER = ['unshare', '--pid', '--fork', '--mount-proc'];
const canUnshare = process.platform === 'linux' && spawnSync(CONTAINER[0]!, [...CONTAINER.slice(1), 'true']).status === 0;
const inContainer = canUnshare ? it : it.skip;

let base: string;
let lock: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'wm-ident-'));
  mkdirSync(path.join(base, 'watermark_v2'));
  lock = path.join(base, 'watermark_v2', `${CHAIN}.json.ofd-lock`);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const chainFile = () => path.join(base, 'watermark_v2', `${CHAIN}.json`);
const store = (lockTimeoutMs = 200) => new FileWatermarkStore({ baseDir: base, lockTimeoutMs });

/** A worker that has taken the lock and is paused right before its rename, holding it. */
async function holding(wrapper: string[]): Promise<Worker> {
  const w = startWorker(wrapper, 'once', base, '10', 'holder', '5000', '600000');
  await w.waitFor((l) => l.ready === true);
  w.child.stdin.write('go\n');
  await w.waitFor((l) => l.pausing === true);
  return w;
}

/** The node process of a worker: the child itself, or the one unshare forked (PID 1 of its namespace). */
function nodeOf(w: Worker, wrapper: string[]): number {
  if (wrapper.length === 0) return w.child.pid!;
  return Number(readFileSync(`/proc/${w.child.pid}/task/${w.child.pid}/children`, 'utf8').trim());
}

/** SIGKILLs a worker's node process; unshare exits once it is reaped. */
async function kill(w: Worker, wrapper: string[]): Promise<void> {
  process.kill(nodeOf(w, wrapper), 'SIGKILL');
  await w.exited;
}

inContainer(
  'a signer that is PID 1 in a container, killed holding the lock, does not lock out the next PID 1',
  async () => {
    const first = await holding(CONTAINER);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toEqual(expect.objectContaining({ pid: 1 }));
    await kill(first, CONTAINER);
    expect(await commitOnce(CONTAINER, base, 11, 'second', 2000)).toEqual({ level: 11, status: 'signed', signature: 'sig/second/11' });
    // and again: the second one left the lock free, a third PID 1 commits at once
    expect(await commitOnce(CONTAINER, base, 12, 'third', 2000)).toEqual({ level: 12, status: 'signed', signature: 'sig/third/12' });
  },
  60_000,
);

inContainer(
  'two live signers that are both PID 1 in their namespaces never both hold the lock',
  async () => {
    // B starts first; A, started after it, takes the lock and stays paused holding it
    const b = startWorker(CONTAINER, 'once', base, '11', 'b', '500');
    await b.waitFor((l) => l.ready === true);
    const a = await holding(CONTAINER);
    try {
      b.child.stdin.write('go\n');
      const result = await b.waitFor((l) => l.level === 11);
      expect(result).toEqual(expect.objectContaining({ error: 'WatermarkLockError', holder: expect.objectContaining({ pid: 1 }) }));
      expect(result.message).toContain('held by process 1 ');
      expect(existsSync(chainFile())).toBe(false);
    } finally {
      await kill(a, CONTAINER);
      await b.exited;
    }
    expect(await commitOnce(CONTAINER, base, 12, 'c', 2000)).toEqual({ level: 12, status: 'signed', signature: 'sig/c/12' });
  },
  60_000,
);

inContainer(
  'a PID 1 signer started after another PID 1 took the lock (still paused holding it) does not take it as its own previous run',
  async () => {
    // what earlier versions, which guessed from pids and times, got wrong under one host name
    const a = await holding(CONTAINER);
    try {
      const b = await commitOnce(CONTAINER, base, 11, 'b', 500);
      expect(b).toEqual(expect.objectContaining({ error: 'WatermarkLockError' }));
      expect(existsSync(chainFile())).toBe(false);
    } finally {
      await kill(a, CONTAINER);
    }
    expect(await commitOnce(CONTAINER, base, 11, 'b', 2000)).toEqual({ level: 11, status: 'signed', signature: 'sig/b/11' });
  },
  60_000,
);

describe.each([
  ['in this PID namespace', [] as string[]],
  ['PID 1 of another PID namespace', CONTAINER],
])('a holder %s', (_, wrapper) => {
  (wrapper.length === 0 ? it : inContainer)(
    'stopped (SIGSTOP) holding the lock is never taken over, from any namespace, and is taken as soon as it is killed',
    async () => {
      const w = await holding(wrapper);
      try {
        process.kill(nodeOf(w, wrapper), 'SIGSTOP');
        const e = await refusal(store().commit(slot, mark(11)));
        expect(e.message).toContain(`held by process ${wrapper.length === 0 ? w.child.pid : 1} `);
        if (canUnshare) {
          expect(await commitOnce(CONTAINER, base, 11, 'waiter', 200)).toEqual(expect.objectContaining({ error: 'WatermarkLockError' }));
        }
        expect(existsSync(chainFile())).toBe(false);
      } finally {
        await kill(w, wrapper);
      }
      expect(await store(2000).commit(slot, mark(11))).toEqual({ status: 'committed' });
    },
    60_000,
  );
});
