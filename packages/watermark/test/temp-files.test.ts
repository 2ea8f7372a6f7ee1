import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileWatermarkStore, WatermarkLockError } from '../src';
import { CHAIN, mark, slot } from './lock-slot';
import { startWorker } from './fixtures/worker';

// A writer killed mid-write (kill -9) leaves its temporary file `.<chain>.json.<pid>.<nonce>.<n>.tmp`
// in watermark_v2/. The store removes those of dead writers, never a live writer's.

const OTHER_CHAIN = 'NetXdQprcVkpaWU';
const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;

let base: string;
let dir: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'wm-temp-'));
  dir = path.join(base, 'watermark_v2');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const temps = () =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.tmp'))
    .sort();

it('a writer SIGKILLed mid-write leaves a temporary file; the next commit finds its record in the lock file and removes it', async () => {
  const store = new FileWatermarkStore({ baseDir: base });
  expect(await store.commit(slot, mark(1))).toEqual({ status: 'committed' }); // this store has swept once already
  const w = startWorker([], 'once', base, '10', 'killed', '5000', '600000');
  await w.waitFor((l) => l.ready === true);
  w.child.stdin.write('go\n');
  await w.waitFor((l) => l.pausing === true); // its temporary file is written and fsynced, the rename not done
  expect(temps()).toEqual([expect.stringMatching(new RegExp(`^\\.${CHAIN}\\.json\\.${w.child.pid}\\..*\\.tmp$`))]);
  w.child.kill('SIGKILL');
  await w.exited;
  expect(await store.commit(slot, mark(11))).toEqual({ status: 'committed' });
  expect(temps()).toEqual([]);
  expect((await store.get(slot))!.level).toBe(11);
}, 30_000);

it("leftovers of earlier runs are removed at a store's first commit on their chain file, and only theirs", async () => {
  mkdirSync(dir);
  const dead = [`.${CHAIN}.json.${deadPid}.0123456789abcdef.3.tmp`, `.${CHAIN}.json.1.fedcba9876543210.1.tmp`];
  const others = [`.${OTHER_CHAIN}.json.${deadPid}.0123456789abcdef.4.tmp`, `${CHAIN}.json.bak`];
  for (const n of [...dead, ...others]) writeFileSync(path.join(dir, n), '{');
  expect(await new FileWatermarkStore({ baseDir: base }).commit(slot, mark(5))).toEqual({ status: 'committed' });
  expect(readdirSync(dir).sort()).toEqual([`${CHAIN}.json`, `${CHAIN}.json.ofd-lock`, ...others].sort());
});

it("a live writer's temporary file is never removed: a commit waiting for its lock gives up and leaves it", async () => {
  const w = startWorker([], 'once', base, '10', 'live', '5000', '600000');
  try {
    await w.waitFor((l) => l.ready === true);
    w.child.stdin.write('go\n');
    await w.waitFor((l) => l.pausing === true);
    const live = temps();
    expect(live).toHaveLength(1);
    const err = await new FileWatermarkStore({ baseDir: base, lockTimeoutMs: 200 }).commit(slot, mark(11)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatermarkLockError);
    expect(temps()).toEqual(live);
    expect(existsSync(path.join(dir, live[0]!))).toBe(true);
  } finally {
    w.child.kill('SIGKILL');
    await w.exited;
  }
}, 30_000);
