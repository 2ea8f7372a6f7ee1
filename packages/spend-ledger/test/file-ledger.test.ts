import fs, { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnJsonLines, tempDirs } from '@signatory-ts/dev-servers';
import { FileSpendLedger } from '../src';
import { CAPS, describeSpendLedger, KEY, T0, TZ } from './ledger-conformance';

const dirs = tempDirs('spend-');
afterAll(() => dirs.removeAll());

// instances on one base_dir take turns at the kernel lock, each holding it through an fsync: on a loaded disk one
// may wait for the others far longer than the 5 s default, and it must not give up
describeSpendLedger('FileSpendLedger', {
  open: async () => new FileSpendLedger({ baseDir: dirs.make(), lockTimeoutMs: 60_000 }),
  reopen: async (ledger) => new FileSpendLedger({ baseDir: path.dirname((ledger as FileSpendLedger).dir), lockTimeoutMs: 60_000 }),
});

describe('FileSpendLedger on disk', () => {
  let base: string;
  let ledger: FileSpendLedger;
  let file: string;
  beforeEach(() => {
    base = dirs.make();
    ledger = new FileSpendLedger({ baseDir: base });
    file = path.join(base, 'spend_ledger', `${KEY}.json`);
  });

  it('keeps one JSON file per key under base_dir/spend_ledger, and no temporary file behind', async () => {
    const r = await ledger.reserve(KEY, 5n * TZ, CAPS, T0);
    if (!r.ok) throw new Error('refused');
    await ledger.confirm(r.reservation);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { v: number; entries: unknown[] };
    expect(doc).toEqual({ v: 1, entries: [[r.reservation.id, T0, '5000000', 1]], resets: {}, retention: 86_400 });
    expect(readdirSync(path.dirname(file)).sort()).toEqual([`${KEY}.json`, `${KEY}.json.ofd-lock`]);
  });

  it('an unreadable ledger file refuses every reservation, names the file, and is left as it is', async () => {
    expect((await ledger.reserve(KEY, TZ, CAPS, T0)).ok).toBe(true);
    writeFileSync(file, '{"v":1,"entries":[["x",');
    await expect(ledger.reserve(KEY, TZ, CAPS, T0 + 1)).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining(`spend ledger ${file} is unreadable`),
    });
    await expect(ledger.show(KEY, CAPS, T0 + 1)).rejects.toThrow(/unreadable/);
    expect(readFileSync(file, 'utf8')).toBe('{"v":1,"entries":[["x",');
    writeFileSync(file, '{"v":1,"entries":[["x",1,"-5",0]],"resets":{}}'); // a negative amount would give budget away
    await expect(ledger.reserve(KEY, TZ, CAPS, T0 + 1)).rejects.toThrow(/entry 0 is malformed/);
    // reservations a reset keeps counting: only for a window that was reset, as a list of ids
    writeFileSync(file, '{"v":1,"entries":[["x",1,"5",0]],"resets":{},"kept":{"3600":["x"]}}');
    await expect(ledger.reserve(KEY, TZ, CAPS, T0 + 1)).rejects.toThrow(/kept reservations of window 3600 are malformed/);
    writeFileSync(file, '{"v":1,"entries":[["x",1,"5",0]],"resets":{"3600":2},"kept":{"3600":"x"}}');
    await expect(ledger.reserve(KEY, TZ, CAPS, T0 + 1)).rejects.toThrow(/kept reservations of window 3600 are malformed/);
  });

  it('a write whose directory cannot be synced after the rename: the reservation is on disk, so it is said so, nothing is signed and it is given back', async () => {
    // the disk fails the directory's fsync (opened read-only for it, after the rename): a fault at the
    // system-call boundary, everything else real
    const realOpen = fs.openSync.bind(fs);
    let dirSyncs = 0;
    const spy = jest.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      if (p === ledger.dir && flags === 'r') {
        dirSyncs += 1;
        throw Object.assign(new Error(`EIO: i/o error, open '${ledger.dir}'`), { code: 'EIO' });
      }
      return realOpen(p, flags ?? 'r', mode);
    }) as typeof fs.openSync);
    try {
      await expect(ledger.reserve(KEY, 5n * TZ, CAPS, T0)).rejects.toMatchObject({
        code: 'internal',
        message:
          `spend ledger: wrote ${file}, but could not sync its directory to disk (EIO: i/o error, open '${ledger.dir}'): ` +
          'the change is in place for every signer on this host, and a power loss may undo it. Nothing was signed on that reservation; it was given back',
      });
      expect(dirSyncs).toBe(2); // the reservation's write, then the release's
      expect((await ledger.show(KEY, CAPS, T0))[0]!.spent).toBe(0n);
      // a confirm or release that is not durable says so, not "nothing was reserved"
      spy.mockRestore();
      const r = await ledger.reserve(KEY, 5n * TZ, CAPS, T0);
      if (!r.ok) throw new Error('refused');
      jest.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
        if (p === ledger.dir && flags === 'r') throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
        return realOpen(p, flags ?? 'r', mode);
      }) as typeof fs.openSync);
      await expect(ledger.confirm(r.reservation)).rejects.toThrow(
        /could not sync its directory to disk \(EIO: i\/o error\): the change is in place/,
      );
      expect((await ledger.show(KEY, CAPS, T0))[0]).toMatchObject({ spent: 5n * TZ, reserved: 0n });
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('a ledger file that cannot be read refuses the reservation (store failure: fail closed) and records nothing', async () => {
    expect((await ledger.reserve(KEY, TZ, CAPS, T0)).ok).toBe(true);
    renameSync(file, `${file}.aside`);
    mkdirSync(file); // EISDIR on read, for root too
    await expect(ledger.reserve(KEY, TZ, CAPS, T0 + 1)).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining(`spend ledger: cannot read ${file}: EISDIR`),
    });
    rmSync(file, { recursive: true });
    renameSync(`${file}.aside`, file);
    expect((await ledger.show(KEY, CAPS, T0 + 2))[0]!.spent).toBe(TZ);
  });

  it('three real processes racing on one base_dir never reserve more than the cap together', async () => {
    const workers = [1, 2, 3].map(() => startWorker('race', base, '7', String(30n * TZ), String(T0)));
    await Promise.all(workers.map((w) => w.waitFor((l) => l.ready === true)));
    for (const w of workers) w.child.stdin.write('go\n');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
    const results = workers.flatMap((w) => w.lines.filter((l) => l.ready === undefined));
    expect(results).toHaveLength(21);
    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(results.filter((r) => r.ok === true)).toHaveLength(6); // 6 × 30 tz = 180 tz; a 7th would make 210
    expect((await ledger.show(KEY, CAPS, T0))[0]!.spent).toBe(180n * TZ);
  }, 60_000);
});

it('kill -9 during a stream of reservations: the file stays whole, every reservation it reported counts, unconfirmed ones included', async () => {
  const base = dirs.make();
  const file = path.join(base, 'spend_ledger', `${KEY}.json`);
  const caps = [{ window: '1h', windowSeconds: 3600, amount: 1000n * TZ }];
  const ledger = new FileSpendLedger({ baseDir: base });
  let floor = 0n;
  for (let round = 0; round < 3; round++) {
    const w = startWorker('stream', base, String(T0));
    await w.waitFor((l) => typeof l.reserved === 'number' && l.reserved >= 5);
    w.child.kill('SIGKILL');
    await w.exited;
    const reported = BigInt(Math.max(...w.lines.map((l) => l.reserved as number)));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toBeInstanceOf(Object);
    const [usage] = await ledger.show(KEY, caps, T0);
    // everything it reported is durable (the file may hold one more: killed after the rename)
    expect(usage!.spent).toBeGreaterThanOrEqual(floor + reported);
    expect(usage!.spent).toBeLessThanOrEqual(floor + reported + 1n);
    expect(usage!.reserved).toBeGreaterThanOrEqual((floor + reported) / 2n - 1n); // the odd ones were never confirmed
    floor = usage!.spent;
  }
  // the next update by a live process removes what the killed writers left behind
  expect((await ledger.reserve(KEY, 1n, caps, T0)).ok).toBe(true);
  expect(readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
}, 60_000);

/** fixtures/reserve-worker.js as a real child process. */
const startWorker = (...args: string[]) =>
  spawnJsonLines([process.execPath, path.join(__dirname, 'fixtures', 'reserve-worker.js'), ...args]);
