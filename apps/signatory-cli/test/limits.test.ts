/** `limits show|reset`: through the built CLI, and on a real file ledger in base_dir. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type KeyLimits, type SpendCap } from '@signatory-ts/config';
import { createLogger } from '@signatory-ts/log';
import { FileSpendLedger } from '@signatory-ts/spend-ledger';
import { resetSpend, showLimits } from '../src/commands/limits';
import type { Context } from '../src/context';
import { runCli, tempDir, writeConfig } from './harness';

const PKH = 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK';
const PKH2 = 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q';
const DEST = 'KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitn';
const TZ = 1_000_000n;
const NOW = Date.UTC(2026, 0, 1);
const CAPS: SpendCap[] = [
  { window: '1h', windowSeconds: 3600, amount: 200n * TZ },
  { window: '24h', windowSeconds: 86_400, amount: 1000n * TZ },
];

let dir: string;
let config: string;
beforeEach(() => {
  dir = tempDir('cli-limits-');
  config = writeConfig(dir, {
    url: 'http://127.0.0.1:9',
    tezos: `  ${PKH}:
    allow:
      generic: [transaction]
    limits:
      max_amount: 100tz
      max_fee: 0.05tz
      max_gas_limit: 100000
      destinations: [${PKH2}, ${DEST}%transfer]
  ${PKH2}:
    allow:
      generic: [transaction]
`,
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('signatory-cli limits (built CLI)', () => {
  it("show prints each key's limits; keys without limits are left out", async () => {
    const [r, j] = await Promise.all([runCli(['limits', 'show', '-c', config]), runCli(['limits', 'show', '--json', '-c', config])]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${PKH}\n` +
        '  max_amount     100 tz\n' +
        '  max_fee        0.05 tz\n' +
        '  max_gas_limit  100000\n' +
        `  destinations   ${PKH2}, ${DEST}%transfer\n`,
    );
    expect(JSON.parse(j.stdout)).toEqual([
      {
        pkh: PKH,
        limits: { max_amount: '100000000', max_fee: '50000', max_gas_limit: '100000', destinations: [PKH2, `${DEST}%transfer`] },
        spend: [],
      },
    ]);
  });

  it('show reads the spend ledger of caps written in signatory.yaml (the loader accepts them: the signer enforces them)', async () => {
    const capped = writeConfig(dir, {
      url: 'http://127.0.0.1:9',
      tezos: `  ${PKH}:
    allow:
      generic: [transaction]
    limits:
      spend:
        - {window: 1h, amount: 200tz}
`,
    });
    const ledger = new FileSpendLedger({ baseDir: (await loadConfig(capped)).baseDir });
    const r = await ledger.reserve(PKH, 150n * TZ, CAPS.slice(0, 1), Date.now());
    if (!r.ok) throw new Error('refused');
    await ledger.confirm(r.reservation);
    const out = await runCli(['limits', 'show', '--json', '-c', capped]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject([{ pkh: PKH, spend: [{ window: '1h', cap: '200000000', spent: '150000000' }] }]);
  });

  it('reset of a key without spend caps is refused, saying where caps are configured', async () => {
    const r = await runCli(['limits', 'reset', '-c', config, '--key', PKH, '--window', '1h', '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`limits reset: key ${PKH} has no spend caps in ${config} (tezos.${PKH}.limits.spend)`);
  });
});

describe('limits show and reset on a real file ledger', () => {
  let ctx: Context;
  let ledger: FileSpendLedger;
  let out: string;
  const sink = { write: (s: string) => (out += s) };

  beforeEach(async () => {
    // the caps are added to the loaded config, so one YAML serves both suites
    const loaded = await loadConfig(config);
    const tezos = new Map(loaded.tezos);
    const policy = tezos.get(PKH)!;
    tezos.set(PKH, { ...policy, limits: { ...(policy.limits as KeyLimits), spend: CAPS } });
    ctx = { config: { ...loaded, tezos }, log: createLogger({ level: 'error' }) };
    ledger = new FileSpendLedger({ baseDir: loaded.baseDir });
    out = '';
    const a = await ledger.reserve(PKH, 120n * TZ, CAPS, NOW - 2 * 3_600_000); // in the 24h window only
    const b = await ledger.reserve(PKH, 150n * TZ, CAPS, NOW - 60_000);
    const c = await ledger.reserve(PKH, 30n * TZ, CAPS, NOW - 1000); // never confirmed
    if (!a.ok || !b.ok || !c.ok) throw new Error('refused');
    await ledger.confirm(a.reservation);
    await ledger.confirm(b.reservation);
  });

  it('show prints, per spend window, the cap, what is spent (and reserved) and what is left', async () => {
    await showLimits(ctx, false, sink, NOW);
    expect(out).toContain('  spend 1h       cap 200 tz, spent 180 tz (30 tz reserved, not confirmed), left 20 tz\n');
    expect(out).toContain('  spend 24h      cap 1000 tz, spent 300 tz (30 tz reserved, not confirmed), left 700 tz\n');
    out = '';
    await showLimits(ctx, true, sink, NOW);
    expect((JSON.parse(out) as { spend: unknown }[])[0]!.spend).toEqual([
      { window: '1h', cap: '200000000', spent: '180000000', reserved: '30000000', left: '20000000' },
      { window: '24h', cap: '1000000000', spent: '300000000', reserved: '30000000', left: '700000000' },
    ]);
  });

  it('reset without --force says what it would clear and changes nothing; with --force clears that window only', async () => {
    const kept = '30 tz reserved and not confirmed (requests being signed, or left by a signer that stopped) stays counted';
    await expect(resetSpend(ctx, { key: PKH, window: '1h' }, sink, NOW)).rejects.toMatchObject({
      code: 'bad_request',
      message: `limits reset: would clear ${PKH} 1h (150 tz confirmed); ${kept}; after that the key may spend the rest of the cap again at once. Repeat with --force`,
    });
    expect((await ledger.show(PKH, CAPS, NOW)).map((w) => w.spent)).toEqual([180n * TZ, 300n * TZ]);
    await resetSpend(ctx, { key: PKH, window: '60m', force: true }, sink, NOW); // 60m is the 1h window
    expect(out).toBe(`cleared ${PKH} 1h (150 tz confirmed); ${kept}\n`);
    expect((await ledger.show(PKH, CAPS, NOW)).map((w) => w.spent)).toEqual([30n * TZ, 300n * TZ]);
    await resetSpend(ctx, { key: PKH, window: 'all', force: true }, sink, NOW);
    // the reservation not confirmed stays counted in every window, and still once it is confirmed
    expect((await ledger.show(PKH, CAPS, NOW)).map((w) => w.spent)).toEqual([30n * TZ, 30n * TZ]);
  });

  it('reset of a window the key has no cap for is refused, listing its windows', async () => {
    await expect(resetSpend(ctx, { key: PKH, window: '2h', force: true }, sink, NOW)).rejects.toMatchObject({
      message: '--window "2h" is not a spend window of this key: use 1h, 24h or all',
    });
    expect((await ledger.show(PKH, CAPS, NOW)).map((w) => w.spent)).toEqual([180n * TZ, 300n * TZ]);
  });

  it('with the mem watermark driver there is no ledger to read: a clear error', async () => {
    const mem = { ...ctx, config: { ...ctx.config, watermark: { driver: 'mem' as const } } };
    await expect(showLimits(mem, false, sink, NOW)).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining("uses the mem watermark driver, whose spend ledger lives in the signer's memory"),
    });
  });

  it('the ledger follows base_dir', () => {
    expect(ledger.dir).toBe(path.join(dir, 'base', 'spend_ledger'));
  });
});
