import { spawnJsonLines } from '../src';

// A real node child that writes two JSON lines, a line on stderr, and exits 3.
const SCRIPT = "console.log(JSON.stringify({ n: 1 })); console.log(JSON.stringify({ n: 2 })); console.error('boom'); process.exitCode = 3;";

describe('spawnJsonLines', () => {
  it('parses each stdout line, finds lines written before and after the wait, and gives the exit code', async () => {
    const w = spawnJsonLines([process.execPath, '-e', SCRIPT]);
    expect(await w.waitFor((l) => l.n === 2)).toEqual({ n: 2 });
    expect(await w.exited).toBe(3);
    expect(await w.waitFor((l) => l.n === 1)).toEqual({ n: 1 });
    expect(w.lines).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('a wait for a line that never comes fails once the child exits, with its stderr', async () => {
    const w = spawnJsonLines([process.execPath, '-e', SCRIPT]);
    await expect(w.waitFor((l) => l.n === 3)).rejects.toThrow(/exited before the expected line; stderr:\nboom/);
  });
});
