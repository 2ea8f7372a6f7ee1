import path from 'node:path';
import { spawnJsonLines, startPostgres, type JsonLine, type PostgresServer } from '@signatory-ts/dev-servers';
import { PostgresWatermarkStore } from '../src';

// Real node processes, each with its own pool and its own in-process slot locks, on one PostgreSQL
// table: only the single-statement compare-and-set keeps them from double signing.
jest.setTimeout(180_000);

const WORKER = path.join(__dirname, 'fixtures', 'postgres-race-worker.js');
let pg: PostgresServer;

beforeAll(async () => {
  pg = await startPostgres({ durable: false });
});
afterAll(async () => {
  await pg?.stop();
});

function startWorker(table: string, id: number, levels: number) {
  const w = spawnJsonLines([process.execPath, WORKER, pg.url, table, String(id), String(levels)]);
  return { ...w, ready: w.waitFor((l) => l.ready === true) };
}

/** (pkh/kind/level/round) → every distinct signature released for it, by any worker. */
function released(workers: { lines: JsonLine[] }[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const w of workers) {
    for (const l of w.lines) {
      if (typeof l.signature !== 'string') continue;
      const key = `${l.pkh}/${l.kind}/${l.level}/${l.round}`;
      out.set(key, (out.get(key) ?? new Set()).add(l.signature));
    }
  }
  return out;
}

it('three processes racing on the same slots never release two different signatures for one level and round', async () => {
  const LEVELS = 10;
  const table = 'race_marks';
  const workers = [1, 2, 3].map((id) => startWorker(table, id, LEVELS));
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin.write('go\n');
  expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);

  const byKey = released(workers);
  expect([...byKey].filter(([, sigs]) => sigs.size > 1)).toEqual([]);
  const all = workers.flatMap((w) => w.lines);
  // the race was real: many slots advanced, and identical requests across processes got replays
  expect(all.filter((l) => l.status === 'signed').length).toBeGreaterThan(LEVELS);
  expect(all.filter((l) => l.status === 'replay').length).toBeGreaterThan(0);

  // the table ends at the highest mark released for each slot, with that mark's signature
  const store = await PostgresWatermarkStore.open({
    config: { url: pg.url, table, createTable: false, poolMax: 1, statementTimeoutMs: 30_000 },
  });
  try {
    let slots = 0;
    for await (const [slot, mark] of store.list()) {
      slots++;
      const tops = [...byKey.keys()]
        .filter((k) => k.startsWith(`${slot.pkh}/${slot.kind}/`))
        .map((k) => k.split('/').slice(2).map(Number) as [number, number])
        .sort((a, b) => b[0] - a[0] || b[1] - a[1]);
      expect([mark.level, mark.round]).toEqual(tops[0]);
      expect(byKey.get(`${slot.pkh}/${slot.kind}/${mark.level}/${mark.round}`)).toEqual(new Set([mark.signature]));
    }
    expect(slots).toBe(6); // 2 keys × (block, preattestation, attestation with attestation_with_dal)
  } finally {
    await store.close();
  }
});

it('kill -9 of one racing process: the others finish, and still no slot released two signatures', async () => {
  const table = 'kill_marks';
  const workers = [1, 2, 3].map((id) => startWorker(table, id, 30));
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin.write('go\n');
  // in the middle of its stream: after it has released a few signatures
  let seen = 0;
  await workers[0]!.waitFor((l) => l.signature !== undefined && ++seen >= 10);
  workers[0]!.child.kill('SIGKILL');
  expect(await Promise.all(workers.map((w) => w.exited))).toEqual([null, 0, 0]);
  expect([...released(workers)].filter(([, sigs]) => sigs.size > 1)).toEqual([]);
});
