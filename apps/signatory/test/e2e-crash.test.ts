import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { b58Encode, fromHex } from '@signatory-ts/core';
import { block } from './payloads';
import { E2e, stop, until } from './processes';

// Real processes on loopback: `kms-local` and one or two `signatory serve` on one base_dir.
let e2e: E2e;

beforeAll(async () => {
  e2e = await E2e.start('crash', ['ECC_NIST_P256']);
});
afterAll(() => e2e?.stop());

const signatory = (args: string[] = []) => e2e.serve({ args });
/**
 * KMS deadlines far above the time a test holds a request's Sign in kms-local, so that it still succeeds on a loaded
 * machine.
 */
const PATIENT = ['--kms-deadline-ms', '60000', '--kms-attempt-timeout-ms', '60000', '--request-deadline-ms', '120000'];
const post = (url: string, hex: string) => e2e.post(url, hex);

/** The block mark stored for our key on `chain`, read from the watermark file. */
async function storedBlock(chain: string): Promise<{ level: number; round: number } | undefined> {
  try {
    const file = JSON.parse(await readFile(path.join(e2e.dir, 'watermark_v2', `${b58Encode('Net', fromHex(chain))}.json`), 'utf8'));
    return file[e2e.keys[0]!.pkh]?.block;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

describe('crash and shutdown safety with real processes', () => {
  it('kill -9 during a stream of block requests leaves an intact watermark that never goes down after restart', async () => {
    const chain = 'a0000001';
    const s = await signatory();
    let lastOk = 0;
    let stopped = false;
    const stream = (async () => {
      for (let level = 1; !stopped; level++) {
        try {
          const r = await post(s.url, block(level, 0, 0, chain));
          if (r.status === 200) lastOk = level;
        } catch {
          return; // connection refused / reset once killed
        }
      }
    })();
    await until(() => lastOk >= 20); // a stream under way, then killed mid-flight
    s.proc.child.kill('SIGKILL');
    await s.proc.exited;
    stopped = true;
    await stream;
    expect(lastOk).toBeGreaterThan(5);
    const mark = await storedBlock(chain); // parses: the file is whole
    expect(mark!.level).toBeGreaterThanOrEqual(lastOk); // persisted before released
    const again = await signatory();
    expect((await post(again.url, block(lastOk, 0, 1, chain))).status).toBe(409);
    expect((await post(again.url, block(mark!.level, 0, 7, chain))).status).toBe(409);
    expect((await post(again.url, block(mark!.level + 1, 0, 0, chain))).status).toBe(200);
    await stop(again.proc);
  });

  it('two signatory processes on one base_dir never both release a signature for one slot', async () => {
    const chain = 'a0000002';
    const [a, b] = await Promise.all([signatory(), signatory()]);
    for (let level = 1; level <= 25; level++) {
      const rs = await Promise.all([
        post(a.url, block(level, 0, 0, chain)),
        post(b.url, block(level, 0, 1, chain)),
        post(a.url, block(level, 0, 2, chain)),
        post(b.url, block(level, 0, 3, chain)),
      ]);
      const oks = rs.filter((r) => r.status === 200);
      expect(oks.length).toBeLessThanOrEqual(1);
      expect(rs.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    }
    await Promise.all([stop(a.proc), stop(b.proc)]);
  });

  it('SIGTERM (then SIGINT) while a signature is in flight: the request completes, the mark is stored, exit code 0', async () => {
    const chain = 'a0000003';
    const s = await signatory(PATIENT);
    // kms-local holds the Sign while the signals land, then releases it: the request ends within the shutdown's 10 s grace
    await e2e.kms.faults({ hold: { operations: ['Sign'] } });
    let r: { status: number; text: string };
    let code: number | null;
    try {
      const pending = post(s.url, block(10, 0, 0, chain));
      await s.proc.waitFor(/msg="Requesting signing operation".*lvl=10\b/); // the request is in the pipeline
      await e2e.kms.waitHeld(1); // its Sign waits in kms-local
      s.proc.child.kill('SIGTERM');
      await s.proc.waitFor(/msg="Received SIGTERM"/);
      s.proc.child.kill('SIGINT'); // a second signal (Ctrl-C on the group) must not cut the drain short
      await s.proc.waitFor(/msg="Received SIGINT; already shutting down"/);
      expect(await e2e.kms.release()).toBe(1);
      r = await pending;
      code = await s.proc.exited;
    } finally {
      await e2e.kms.clearFaults();
    }
    expect(r.status).toBe(200);
    expect(code).toBe(0);
    expect(s.proc.lines.join('\n')).toMatch(/msg="Received SIGINT; already shutting down"/); // the second signal came during the drain
    expect(await storedBlock(chain)).toMatchObject({ level: 10, round: 0 });
  }, 120_000);

  it('KMS throttling is retried; KMS down gives an error within the deadline, moves nothing, and the next request after recovery succeeds', async () => {
    const chain = 'a0000004';
    // a KMS deadline that the throttled and the recovered requests cannot miss on a loaded machine (the hung one
    // waits it out), and a request deadline above it: the hung request fails at the KMS deadline, saying so
    const s = await signatory(['--kms-deadline-ms', '10000', '--request-deadline-ms', '30000']);
    await e2e.kms.faults({ throttle: { count: 2, operations: ['Sign'] } });
    expect((await post(s.url, block(1, 0, 0, chain))).status).toBe(200);
    await e2e.kms.faults({ hang: { operations: ['Sign'] } });
    const down = await post(s.url, block(2, 0, 0, chain));
    await e2e.kms.clearFaults();
    expect(down.status).toBe(500);
    expect(JSON.parse(down.text)[0].msg).toMatch(/KMS Sign got no answer .*deadline 10000 ms/); // gave up at the deadline
    expect(await storedBlock(chain)).toMatchObject({ level: 1 }); // nothing moved
    expect((await post(s.url, block(2, 0, 0, chain))).status).toBe(200);
    await stop(s.proc);
  }, 120_000);
});
