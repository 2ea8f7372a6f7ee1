/** `watermark show|reset` through the built CLI against every store of apps/signatory/test/stores.ts, opened as the daemon opens it. */
import { appendFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@signatory-ts/config';
import { blake2b256 } from '@signatory-ts/core';
import { openWatermarkStore, type WatermarkStore } from '@signatory-ts/watermark';
import { runCli, tempDir, writeConfig } from './harness';
import { STORE_SETUPS, type RunningStore } from '../../signatory/test/stores';

const CHAIN = 'NetXdQprcVkpaWU';
const PKH = 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK';
const PKH2 = 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q';

describe.each(STORE_SETUPS)('signatory-cli watermark show|reset on the $name store', (setup) => {
  let running: RunningStore;
  let dir: string;
  let config: string;
  let store: WatermarkStore;
  let n = 0;

  beforeAll(async () => {
    running = await setup.start();
  });
  afterAll(async () => {
    await running.stop();
  });
  beforeEach(async () => {
    dir = tempDir('cli-wm-');
    config = writeConfig(dir, { url: 'http://127.0.0.1:9' });
    appendFileSync(config, running.yaml(`show_${process.pid}_${++n}`));
    store = await openWatermarkStore(await loadConfig(config));
    const mark = (level: number, round: number) => ({
      level,
      round,
      digest: blake2b256(Buffer.from(`${level}/${round}`)),
      signature: 'p2sigtest',
    });
    await store.commit({ chainId: CHAIN, pkh: PKH, kind: 'block' }, mark(1200, 0));
    await store.commit({ chainId: CHAIN, pkh: PKH, kind: 'attestation' }, mark(1201, 2));
    await store.commit({ chainId: CHAIN, pkh: PKH2, kind: 'preattestation' }, mark(99, 1));
  });
  afterEach(async () => {
    await store.close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('show prints every slot with chain, pkh, kind, level and round', async () => {
    const [r, j] = await Promise.all([runCli(['watermark', 'show', '-c', config]), runCli(['watermark', 'show', '--json', '-c', config])]);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    expect(rows[0]).toEqual(['CHAIN', 'PKH', 'KIND', 'LEVEL', 'ROUND']);
    expect(rows.slice(1).sort()).toEqual(
      [
        [CHAIN, PKH, 'block', '1200', '0'],
        [CHAIN, PKH, 'attestation', '1201', '2'],
        [CHAIN, PKH2, 'preattestation', '99', '1'],
      ].sort(),
    );
    expect(JSON.parse(j.stdout)).toContainEqual({ chain: CHAIN, pkh: PKH2, kind: 'preattestation', level: 99, round: 1 });
  });

  it('show, export, reset and the source of import --from-config never create a store that does not exist yet (whatever create_table says)', async () => {
    const freshDir = tempDir('cli-wm-fresh-');
    const fresh = writeConfig(freshDir, { url: 'http://127.0.0.1:9' });
    appendFileSync(fresh, running.yaml(`fresh_${process.pid}_${++n}`));
    const importFrom = ['import', '-c', config, '--from-config', fresh];
    const reset = ['reset', '-c', fresh, '--chain', CHAIN, '--pkh', PKH, '--kind', 'block', '--force'];
    // twice each: had a run of the first round created the table, every run of the second would find an empty one
    // (the four commands of a round run at once: none of them may create the store, so their order does not matter)
    for (let round = 0; round < 2; round++) {
      const commands = [['show', '-c', fresh], ['export', '-c', fresh], importFrom, reset];
      const runs = await Promise.all(commands.map((args) => runCli(['watermark', ...args])));
      commands.forEach((args, i) => {
        const r = runs[i]!;
        if (setup.name !== 'file')
          expect(r).toMatchObject({
            code: 3, // a configuration problem
            stderr: expect.stringMatching(new RegExp(`does not exist.*\\(watermark ${args[0]} never creates it`)),
          });
        else if (args === reset) expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining('no watermark stored') });
        else expect(r.code).toBe(0); // no chain file: nothing stored, nothing created
      });
    }
    rmSync(freshDir, { recursive: true, force: true });
  }, 300_000); // eight CLI processes, four at a time: on a loaded CI machine each can take many seconds to start

  it('reset without --force says what it would remove, names the store, and changes nothing', async () => {
    const r = await runCli(['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', PKH, '--kind', 'block']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`would remove ${CHAIN} ${PKH} block (level 1200, round 0)`);
    expect(r.stderr).toContain(
      setup.name === 'file' ? `the file store in base_dir ${path.join(dir, 'base')}` : `the ${setup.name} watermark store of ${config}`,
    );
    expect(r.stderr).toContain('--force');
    expect(await store.get({ chainId: CHAIN, pkh: PKH, kind: 'block' })).toMatchObject({ level: 1200 });
  });

  it('reset --force removes exactly that slot', async () => {
    const r = await runCli(['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', PKH, '--kind', 'block', '--force']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`removed ${CHAIN} ${PKH} block (level 1200, round 0)\n`);
    expect(await store.get({ chainId: CHAIN, pkh: PKH, kind: 'block' })).toBeUndefined();
    expect(await store.get({ chainId: CHAIN, pkh: PKH, kind: 'attestation' })).toMatchObject({ level: 1201, round: 2 });
    expect(await store.get({ chainId: CHAIN, pkh: PKH2, kind: 'preattestation' })).toMatchObject({ level: 99 });
  });

  it('reset refuses a slot that is not stored, a bad kind, a bad pkh and a bad chain', async () => {
    // four refusals at once: none of them changes anything, so their order does not matter
    const [missing, kind, pkh, chain] = await Promise.all([
      runCli(['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', PKH2, '--kind', 'block', '--force']),
      runCli(['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', PKH, '--kind', 'endorsement', '--force']),
      runCli(['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', 'tz3nope', '--kind', 'block', '--force']),
      runCli(['watermark', 'reset', '-c', config, '--chain', 'NetNope', '--pkh', PKH, '--kind', 'block', '--force']),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no watermark stored for ${CHAIN} ${PKH2} block`);
    expect(kind.stderr).toContain('--kind must be one of block, preattestation, attestation, attestation_with_dal');
    expect(pkh.code).toBe(2);
    expect(pkh.stderr).toContain('--pkh');
    expect(chain.code).toBe(2);
    expect(chain.stderr).toContain('--chain');
    expect(await store.get({ chainId: CHAIN, pkh: PKH, kind: 'block' })).toMatchObject({ level: 1200 });
  });

  it('attestation_with_dal resets the shared attestation slot', async () => {
    const args = ['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', PKH, '--kind', 'attestation_with_dal', '--force'];
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(await store.get({ chainId: CHAIN, pkh: PKH, kind: 'attestation' })).toBeUndefined();
  });
});

describe('signatory-cli watermark with driver: mem', () => {
  it('refuses: that store keeps nothing between runs', async () => {
    const dir = tempDir('cli-wm-mem-');
    const config = writeConfig(dir, { url: 'http://127.0.0.1:9' });
    appendFileSync(config, 'watermark:\n  driver: mem\n');
    const r = await runCli(['watermark', 'show', '-c', config]);
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('uses the mem watermark driver, which keeps nothing between runs: there is nothing to show');
  });
});
