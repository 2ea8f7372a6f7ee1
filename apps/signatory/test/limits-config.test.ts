import path from 'node:path';
import { transfer as forgeTransfer } from './payloads';
import { E2e, postSign, until } from './processes';

// A key's `limits:` at start-up, with real `kms-local` and `signatory serve` processes on loopback:
// per-request limits and spend caps (on the file spend ledger under base_dir) are enforced by the daemon.
let e2e: E2e;

beforeAll(async () => {
  e2e = await E2e.start('limits', ['ECC_NIST_P256']);
});
afterAll(() => e2e?.stop());

/** A config whose key allows transactions, with `limits` lines under it. */
function config(name: string, limits: string[]): Promise<string> {
  const allow = ['{generic: [transaction, reveal]}', '    limits:', ...limits.map((l) => `      ${l}`)].join('\n');
  return e2e.config(path.join(e2e.dir, `${name}.yaml`), { baseDir: path.join(e2e.dir, name), allow });
}

describe('limits at start-up', () => {
  it('a key with per-request limits signs at the limit and answers 403 naming the limit one mutez over', async () => {
    const s = await e2e.serve({ config: await config('limits', ['max_amount: 100tz', 'max_fee: 0.05tz', 'max_gas_limit: 100000']) });
    const pkh = e2e.keys[0]!.pkh;
    const transfer = (amount: string) => forgeTransfer(pkh, amount);
    const sign = (hex: string) => postSign(s.url, pkh, hex);
    const atLimit = await sign(await transfer('100000000'));
    expect(atLimit.status).toBe(200);
    expect((JSON.parse(atLimit.text) as { signature: string }).signature).toMatch(/^p2sig/);
    const over = await sign(await transfer('100000001'));
    expect(over.status).toBe(403);
    expect(over.text).toContain('operation 0 (transaction): amount 100.000001 tz is above max_amount 100 tz');
  }, 120_000);

  it('a key with spend caps starts and enforces them: the cap signs exactly, one mutez more is refused naming the window', async () => {
    const file = await config('spend', ['max_amount: 100tz', 'spend:', '  - {window: 1h, amount: 200tz}']);
    const s = await e2e.serve({ config: file });
    expect(s.proc.lines.some((l) => l.includes('msg="Initializing spend ledger"') && l.includes('backend=file'))).toBe(true);
    const pkh = e2e.keys[0]!.pkh;
    const transfer = (amount: string) => forgeTransfer(pkh, amount);
    const sign = (hex: string) => postSign(s.url, pkh, hex);
    // a request spends its amount and its 1000 mutez fee: 100.001 tz, then exactly the 99.999 tz left
    expect((await sign(await transfer('100000000'))).status).toBe(200);
    const over = await sign(await transfer('99998001'));
    expect(over.status).toBe(403);
    expect(over.text).toContain('spend cap 200 tz per 1h: 100.001 tz spent, this request 99.999001 tz');
    expect((await sign(await transfer('99998000'))).status).toBe(200);
    const metrics = await (await fetch(`${s.utilityUrl}/metrics`)).text();
    expect(metrics).toMatch(/^policy_violation_total\{violation_type="spend",[^}]*\} 1$/m);
    // the gauges: what the window holds after the last reservation (the refused one did not change it), and its cap
    expect(metrics).toContain(`spend_window_mutez{address="${pkh}",window="1h"} 200000000`);
    expect(metrics).toContain(`spend_window_cap_mutez{address="${pkh}",window="1h"} 200000000`);
  }, 120_000);

  it('a reload (SIGHUP) that adds spend caps opens the ledger and enforces them from then on', async () => {
    const file = await config('reload', ['max_amount: 100tz']);
    const s = await e2e.serve({ config: file });
    const pkh = e2e.keys[0]!.pkh;
    const transfer = (amount: string) => forgeTransfer(pkh, amount);
    const sign = (hex: string) => postSign(s.url, pkh, hex);
    expect((await sign(await transfer('50000000'))).status).toBe(200); // no caps yet: counted nowhere
    expect(s.proc.lines.some((l) => l.includes('Initializing spend ledger'))).toBe(false);
    await config('reload', ['max_amount: 100tz', 'spend:', '  - {window: 1h, amount: 10tz}']);
    const from = s.proc.lines.length;
    s.proc.child.kill('SIGHUP');
    await until(() => s.proc.lines.slice(from).some((l) => /msg="(Configuration reloaded from|Reload failed \()/.test(l)));
    expect(s.proc.lines.slice(from).some((l) => l.includes('msg="Configuration reloaded from'))).toBe(true);
    expect(s.proc.lines.slice(from).some((l) => l.includes('msg="Initializing spend ledger"'))).toBe(true);
    expect((await sign(await transfer('9999000'))).status).toBe(200); // exactly the cap, fee included
    const over = await sign(await transfer('1'));
    expect(over.status).toBe(403);
    expect(over.text).toContain('spend cap 10 tz per 1h: 10 tz spent, this request 0.001001 tz');
  }, 120_000);

  it('a reload (SIGHUP) that removes spend caps removes their gauge series; a cap still served shows its new amount', async () => {
    const file = await config('gauges', ['spend:', '  - {window: 1h, amount: 200tz}', '  - {window: 24h, amount: 500tz}']);
    const s = await e2e.serve({ config: file });
    const pkh = e2e.keys[0]!.pkh;
    const hup = async () => {
      const from = s.proc.lines.length;
      s.proc.child.kill('SIGHUP');
      await until(() => s.proc.lines.slice(from).some((l) => /msg="(Configuration reloaded from|Reload failed \()/.test(l)));
      expect(s.proc.lines.slice(from).some((l) => l.includes('msg="Configuration reloaded from'))).toBe(true);
    };
    const gauges = async () =>
      (await (await fetch(`${s.utilityUrl}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('spend_window_'))
        .sort();
    expect((await postSign(s.url, pkh, await forgeTransfer(pkh, '4999000'))).status).toBe(200); // 5 tz, fee included
    expect(await gauges()).toEqual([
      `spend_window_cap_mutez{address="${pkh}",window="1h"} 200000000`,
      `spend_window_cap_mutez{address="${pkh}",window="24h"} 500000000`,
      `spend_window_mutez{address="${pkh}",window="1h"} 5000000`,
      `spend_window_mutez{address="${pkh}",window="24h"} 5000000`,
    ]);
    await config('gauges', ['spend:', '  - {window: 1h, amount: 300tz}']);
    await hup();
    expect(await gauges()).toEqual([
      `spend_window_cap_mutez{address="${pkh}",window="1h"} 300000000`,
      `spend_window_mutez{address="${pkh}",window="1h"} 5000000`,
    ]);
    await config('gauges', ['max_amount: 100tz']);
    await hup();
    expect(await gauges()).toEqual([]);
    // a key without caps sets none again
    expect((await postSign(s.url, pkh, await forgeTransfer(pkh, '1000000'))).status).toBe(200);
    expect(await gauges()).toEqual([]);
  }, 120_000);
});
