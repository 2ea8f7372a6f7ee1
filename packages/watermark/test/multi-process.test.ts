import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { watermarkSlot } from '@signatory-ts/core';
import { FileWatermarkStore } from '../src';
import { startWorker } from './fixtures/worker';

// Real node processes sharing one base_dir, each with its own in-process slot locks: only the
// file store's cross-process lock and its re-read under that lock keep them from double signing.

const CHAIN = 'NetXo5iVw1vBoxM';
const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';

let base: string;
beforeEach(() => (base = mkdtempSync(path.join(tmpdir(), 'wm-proc-'))));
afterEach(() => rmSync(base, { recursive: true, force: true }));

it('three processes racing on the same slots never release two different signatures for one level and round', async () => {
  const LEVELS = 12;
  const workers = [1, 2, 3].map((id) => startWorker([], 'race', base, String(id), String(LEVELS)));
  await Promise.all(workers.map((w) => w.waitFor((l) => l.ready === true)));
  for (const w of workers) w.child.stdin.write('go\n');
  expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);

  const released = new Map<string, Set<string>>();
  let signed = 0;
  let replays = 0;
  for (const w of workers) {
    for (const l of w.lines) {
      if (l.signature === undefined) continue;
      const key = `${l.pkh}/${l.kind}/${l.level}/${l.round}`;
      const set = released.get(key) ?? new Set<string>();
      set.add(l.signature as string);
      released.set(key, set);
      if (l.status === 'signed') signed++;
      else replays++;
    }
  }
  const doubles = [...released].filter(([, sigs]) => sigs.size > 1);
  expect(doubles).toEqual([]);
  // the race was real: many slots advanced, and identical retries across processes got replays
  expect(signed).toBeGreaterThan(LEVELS);
  expect(replays).toBeGreaterThan(0);

  // the file ends at the highest mark released for each slot, with that mark's signature
  const store = new FileWatermarkStore({ baseDir: base });
  for (const [slot, mark] of await collect(store.list())) {
    const mine = [...released].filter(([k]) => k.startsWith(`${slot.pkh}/${slot.kind}/`));
    const top = mine.map(([k]) => k.split('/').slice(2).map(Number) as [number, number]).sort((a, b) => b[0] - a[0] || b[1] - a[1])[0]!;
    expect([mark.level, mark.round]).toEqual(top);
    expect(released.get(`${slot.pkh}/${slot.kind}/${top[0]}/${top[1]}`)).toEqual(new Set([mark.signature]));
  }
}, 60_000);

it('kill -9 during a stream of commits leaves whole JSON and a watermark that never went down', async () => {
  const store = new FileWatermarkStore({ baseDir: base });
  const slot = watermarkSlot(CHAIN, PKH, 'block');
  const file = path.join(base, 'watermark_v2', `${CHAIN}.json`);
  let floor = 0;
  for (let round = 0; round < 3; round++) {
    const w = startWorker([], 'stream', base, String(round));
    // let it commit a few levels, then kill it at an arbitrary point of its next commit
    await w.waitFor((l) => typeof l.level === 'number' && l.level >= floor + 5);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 30)));
    w.child.kill('SIGKILL');
    await w.exited;
    const confirmed = Math.max(...w.lines.map((l) => l.level as number));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toBeInstanceOf(Object);
    const stored = await store.get(slot);
    // everything it reported as released is durable; the file may be one level further (killed after the rename)
    expect(stored!.level).toBeGreaterThanOrEqual(confirmed);
    expect(stored!.level).toBeGreaterThanOrEqual(floor);
    floor = stored!.level;
  }
  // a restarted process (the kernel released the lock the killed one may have held) carries on above the floor
  const w = startWorker([], 'stream', base, 'last');
  await w.waitFor((l) => typeof l.level === 'number');
  w.child.kill('SIGKILL');
  await w.exited;
  expect(w.lines[0]!.level).toBe(floor + 1);
  expect(readdirSync(path.join(base, 'watermark_v2')).filter((n) => n.endsWith('.json'))).toEqual([`${CHAIN}.json`]);
}, 60_000);

it('a process paused mid-commit keeps its lock: no other process commits a conflicting mark until it ends', async () => {
  const store = new FileWatermarkStore({ baseDir: base });
  const slot = watermarkSlot(CHAIN, PKH, 'block');
  // A takes the lock, checks it, then blocks its event loop right before the rename for 3 s — longer than
  // the 2 s staleness after which the old lock (proper-lockfile) let others take over — and until B1 has
  // given up (the test creates `resume`): on a loaded machine B1 may only start trying seconds later
  const resume = path.join(base, 'resume-a');
  const a = startWorker([], 'once', base, '10', 'a', '5000', '3000', resume);
  // B1 wants a higher level with a short wait: it fails with the typed error naming A, nothing signed
  const b1 = startWorker([], 'once', base, '11', 'b', '500');
  // B2 wants A's level with different bytes and waits long enough: it proceeds only after A, and is refused
  const b2 = startWorker([], 'once', base, '10', 'b', '60000');
  await Promise.all([a, b1, b2].map((w) => w.waitFor((l) => l.ready === true)));
  a.child.stdin.write('go\n');
  await a.waitFor((l) => l.pausing === true);
  b1.child.stdin.write('go\n');
  b2.child.stdin.write('go\n');
  expect(await b1.exited).toBe(0);
  expect(b1.lines.slice(1)).toEqual([
    expect.objectContaining({
      level: 11,
      error: 'WatermarkLockError',
      code: 'internal',
      holder: expect.objectContaining({ pid: a.child.pid }),
    }),
  ]);
  expect(b1.lines[1]!.message).toContain(`held by process ${a.child.pid}`);
  writeFileSync(resume, '');
  expect(await a.exited).toBe(0);
  expect(a.lines.at(-1)).toEqual({ level: 10, status: 'signed', signature: 'sig/a/10' });
  expect(await b2.exited).toBe(0);
  expect(b2.lines.slice(1)).toEqual([{ level: 10, status: 'rejected' }]);
  // exactly one signature was released for level 10, and it is the stored one
  const released = [a, b1, b2].flatMap((w) => w.lines).filter((l) => l.signature !== undefined);
  expect(released).toEqual([{ level: 10, status: 'signed', signature: 'sig/a/10' }]);
  expect(await store.get(slot)).toEqual(expect.objectContaining({ level: 10, round: 0, signature: 'sig/a/10' }));
  // the lock is free again and the watermark only goes up from here
  const c = startWorker([], 'once', base, '11', 'c', '1000');
  await c.waitFor((l) => l.ready === true);
  c.child.stdin.write('go\n');
  expect(await c.exited).toBe(0);
  expect(c.lines.slice(1)).toEqual([{ level: 11, status: 'signed', signature: 'sig/c/11' }]);
  expect((await store.get(slot))!.level).toBe(11);
}, 120_000);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
