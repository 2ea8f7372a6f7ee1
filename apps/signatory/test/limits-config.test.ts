import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createKeys, run, SIGNATORY_BIN, startKms, startSignatory, stop, writeConfig, type KmsKey, type Proc } from './processes';

// A key's `limits:` at start-up, with real `kms-local` and `signatory serve` processes on loopback:
// per-request limits load; spend caps, which this build does not enforce, stop the daemon.
let dir: string;
let kms: { proc: Proc; url: string };
let keys: KmsKey[];
const started: Proc[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signatory-limits-'));
  kms = await startKms(path.join(dir, 'kms'));
  keys = await createKeys(kms.url, ['ECC_NIST_P256']);
});
afterAll(async () => {
  for (const p of started) await stop(p, 'SIGKILL');
  await stop(kms.proc);
  await rm(dir, { recursive: true, force: true });
});

/** A config whose key allows transactions, with `limits` lines under it. */
async function config(name: string, limits: string[]): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  const allow = ['{generic: [transaction, reveal]}', '    limits:', ...limits.map((l) => `      ${l}`)].join('\n');
  await writeConfig(file, { baseDir: path.join(dir, name), kmsUrl: kms.url, keys, allow });
  return file;
}

describe('limits at start-up', () => {
  it('a key with per-request limits starts', async () => {
    const s = await startSignatory(await config('limits', ['max_amount: 100tz', 'max_fee: 0.05tz', 'max_gas_limit: 100000']));
    started.push(s.proc);
    expect(s.proc.child.exitCode).toBeNull();
  }, 30_000);

  it('a key with spend caps does not start, and the error names the key and the YAML path', async () => {
    const file = await config('spend', ['max_amount: 100tz', 'spend:', '  - {window: 1h, amount: 200tz}']);
    const p = run([SIGNATORY_BIN, 'serve', '-c', file], 'stderr');
    started.push(p);
    expect(await p.exited).toBe(1);
    const pkh = keys[0]!.pkh;
    expect(p.lines.filter((l) => !/level=(info|debug)/.test(l))).toEqual([
      `signatory: ${file}:18:7: tezos.${pkh}.limits.spend: spend caps are not enforced by this build yet, so key ${pkh} would be served without them; remove limits.spend, or run a build that enforces spend caps (see docs/policy.md)`,
    ]);
  }, 30_000);
});
