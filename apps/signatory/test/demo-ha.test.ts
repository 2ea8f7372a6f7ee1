import path from 'node:path';
import { run, stop, type Proc } from './processes';

// `npm run demo:ha` (scripts/demo-ha.js, after a build) as a newcomer runs it: real PostgreSQL,
// kms-local and two replicas; Ctrl-C (SIGINT) must stop every process it started.
jest.setTimeout(120_000);

const DEMO = path.resolve(__dirname, '../../../scripts/demo-ha.js');
let demo: Proc | undefined;

afterAll(async () => {
  await stop(demo, 'SIGKILL');
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('signs through both replicas on one PostgreSQL store, then stops everything on SIGINT', async () => {
  demo = run([DEMO], 'stdout', ['env', 'DEMO_INTERVAL_MS=100']);
  const a = (await demo.waitFor(/^replica A: (http:\S+)$/))[1];
  const b = (await demo.waitFor(/^replica B: (http:\S+)$/))[1];
  expect(a).not.toBe(b);
  const pidLine = await demo.waitFor(/^pids: postgres=(\d+) kms-local=(\d+) replica-a=(\d+) replica-b=(\d+)$/);
  const pids = pidLine.slice(1).map(Number);
  for (const pid of pids) expect(alive(pid)).toBe(true);

  // the same attestation through both: one (randomized P-256) signature; two different preattestations: one signed
  await demo.waitFor(
    /^level \d+: attestation A 200 (\S+) B 200 \1 \(one signature, through both replicas\) \| two preattestations .*\(one signed, one refused\)$/,
  );
  expect(demo.lines.join('\n')).not.toContain('(!)');

  demo.child.kill('SIGINT');
  expect(await demo.exited).toBe(0);
  await demo.waitFor(/^demo:ha stopped/);
  for (const pid of pids) expect(alive(pid)).toBe(false);
});
