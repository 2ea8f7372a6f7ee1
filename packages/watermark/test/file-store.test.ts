import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { b58Encode, watermarkSlot } from '@signatory-ts/core';
import { tempDirs } from '@signatory-ts/dev-servers';
import { FileWatermarkStore, NO_SIGNATURE, WatermarkFileError, type WatermarkIoEvent } from '../src';
import { describeWatermarkStore } from './store-conformance';

const dirs = tempDirs('wm-');
afterAll(() => dirs.removeAll());

describeWatermarkStore('FileWatermarkStore', async () => new FileWatermarkStore({ baseDir: dirs.make() }));

const CHAIN = 'NetXo5iVw1vBoxM';
const pkhs = Array.from({ length: 20 }, (_, i) => b58Encode('tz3', new Uint8Array(20).fill(i + 1)));
const mark = (level: number, tag = 0) => ({ level, round: 0, digest: new Uint8Array(32).fill(tag), signature: `sig${level}/${tag}` });

describe('FileWatermarkStore group commit and I/O events', () => {
  let base: string;
  let events: WatermarkIoEvent[];
  let store: FileWatermarkStore;
  beforeEach(() => {
    base = dirs.make();
    events = [];
    store = new FileWatermarkStore({ baseDir: base, onIo: (e) => events.push(e) });
  });
  const ops = () => events.map((e) => `${e.operation}${e.error === undefined ? '' : `:${e.error}`}`);

  it('writes concurrent commits of many keys on one chain as one group, each with its own mark', async () => {
    const results = await Promise.all(pkhs.map((pkh, i) => store.commit(watermarkSlot(CHAIN, pkh, 'attestation'), mark(100 + i))));
    expect(results).toEqual(pkhs.map(() => ({ status: 'committed' })));
    // the 20 commits arrived before the first write began: one lock, one read, one write for all
    expect(ops()).toEqual(['read', 'create']);
    const fresh = new FileWatermarkStore({ baseDir: base });
    for (const [i, pkh] of pkhs.entries()) {
      expect(await fresh.get(watermarkSlot(CHAIN, pkh, 'attestation'))).toMatchObject({ level: 100 + i, signature: `sig${100 + i}/0` });
    }
  });

  it('compares commits of one group in arrival order: one of two conflicting marks wins, a replay gets the winner', async () => {
    const slot = watermarkSlot(CHAIN, pkhs[0]!, 'block');
    await store.commit(slot, mark(1));
    const [a, b, c, d] = await Promise.all([
      store.commit(slot, mark(5, 1)),
      store.commit(slot, mark(5, 2)),
      store.commit(slot, { ...mark(5, 1), signature: 'another signature' }),
      store.commit(slot, mark(6, 3)),
    ]);
    expect(a).toEqual({ status: 'committed' });
    expect(b).toMatchObject({ status: 'rejected', stored: { level: 5 } });
    expect(c).toEqual({ status: 'replay', signature: 'sig5/1' });
    expect(d).toEqual({ status: 'committed' });
    expect(await store.get(slot)).toMatchObject({ level: 6, signature: 'sig6/3' });
  });

  it('reports each read and write, create for a new chain file, and error types for a corrupt or unreadable file', async () => {
    const slot = watermarkSlot(CHAIN, pkhs[0]!, 'block');
    await store.commit(slot, mark(1));
    await store.commit(slot, mark(2));
    await store.get(slot);
    expect(ops()).toEqual(['read', 'create', 'read', 'write', 'read']);
    expect(events.every((e) => e.seconds >= 0 && e.seconds < 5)).toBe(true);

    const file = path.join(base, 'watermark_v2', `${CHAIN}.json`);
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.slice(0, 10));
    events = [];
    await expect(store.commit(slot, mark(3))).rejects.toBeInstanceOf(WatermarkFileError);
    expect(ops()).toEqual(['read:corrupt']);

    // a chain file that cannot be read at all: the errno code is the error type
    const other = watermarkSlot('NetXdQprcVkpaWU', pkhs[0]!, 'block');
    mkdirSync(store.fileFor(other));
    events = [];
    await expect(store.commit(other, mark(1))).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('EISDIR') });
    expect(ops()).toEqual(['read:EISDIR']);

    writeFileSync(file, good);
    expect(await store.get(slot)).toMatchObject({ level: 2 });
  });

  it('a commit issued after reset() is not undone by that reset (found in review)', async () => {
    const slot = watermarkSlot(CHAIN, pkhs[0]!, 'block');
    const other = watermarkSlot(CHAIN, pkhs[1]!, 'block');
    await store.commit(slot, mark(5, 1));
    const a = store.commit(other, mark(1, 9)); // opens a group
    const r = store.reset(slot); // queued behind it
    const b = store.commit(slot, mark(6, 1)); // issued after the reset
    expect(await a).toEqual({ status: 'committed' });
    expect(await r).toBe(true);
    expect(await b).toEqual({ status: 'committed' });
    expect(await store.get(slot)).toMatchObject({ level: 6 });
    expect((await store.commit(slot, mark(6, 2))).status).toBe('rejected');
  });
});

describe('FileWatermarkStore health (for /healthz)', () => {
  const slot = watermarkSlot(CHAIN, pkhs[0]!, 'block');
  let base: string;
  let file: string;
  beforeEach(() => {
    base = dirs.make();
    file = path.join(base, 'watermark_v2', `${CHAIN}.json`);
  });

  it('is fine until a read or commit fails, says why while it fails, and recovers on a re-check with no commit', async () => {
    const store = new FileWatermarkStore({ baseDir: base, lockTimeoutMs: 100 });
    expect(await store.health()).toBeUndefined();
    expect(await store.commit(slot, mark(1))).toEqual({ status: 'committed' });

    writeFileSync(file, '{"x": ');
    await expect(store.get(slot)).rejects.toBeInstanceOf(WatermarkFileError);
    expect(await store.health()).toMatch(new RegExp(`watermark file ${file} is unreadable`));
    expect(await store.health()).toMatch(/is unreadable/); // re-checked: still broken
    writeFileSync(file, '{}');
    expect(await store.health()).toBeUndefined();

    // a lock held by a live process (this one, in an older record) for longer than the timeout
    symlinkSync(JSON.stringify({ pid: process.pid, hostname: hostname(), token: 'theirs' }), `${file}.lock`);
    await expect(store.commit(slot, mark(2))).rejects.toThrow(/cannot lock watermark file/);
    expect(await store.health()).toMatch(/cannot lock watermark file/);
    rmSync(`${file}.lock`);
    expect(await store.health()).toBeUndefined();
    expect(await store.commit(slot, mark(2))).toEqual({ status: 'committed' });
  });
});

describe('FileWatermarkStore marks raised by watermark import', () => {
  it('writes a mark committed with NO_SIGNATURE as Go Signatory would: level, round and hash, no signature key', async () => {
    const base = dirs.make();
    const store = new FileWatermarkStore({ baseDir: base });
    const slot = watermarkSlot(CHAIN, pkhs[0]!, 'block');
    expect(await store.commit(slot, { level: 9, round: 2, digest: new Uint8Array(32).fill(5), signature: NO_SIGNATURE })).toEqual({
      status: 'committed',
    });
    const file = JSON.parse(readFileSync(path.join(base, 'watermark_v2', `${CHAIN}.json`), 'utf8'));
    expect(file).toEqual({ [pkhs[0]!]: { block: { level: 9, round: 2, hash: b58Encode('vh', new Uint8Array(32).fill(5)) } } });
  });
});
