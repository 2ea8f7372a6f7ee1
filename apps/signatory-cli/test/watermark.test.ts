/** `watermark show|reset` through the built CLI against a real file store in base_dir. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { blake2b256 } from '@signatory-ts/core';
import { FileWatermarkStore } from '@signatory-ts/watermark';
import { runCli, tempDir, writeConfig } from './harness';

const CHAIN = 'NetXdQprcVkpaWU';
const PKH = 'tz3ZbCsUveF3Q6WUNkThT1wyJyhPunanaAXK';
const PKH2 = 'tz1LggX2HUdvJ1tF4Fvv8fjsrzLeW4Jr9t2Q';
let dir: string;
let config: string;
let store: FileWatermarkStore;

beforeEach(async () => {
  dir = tempDir('cli-wm-');
  config = writeConfig(dir, { url: 'http://127.0.0.1:9' });
  store = new FileWatermarkStore({ baseDir: path.join(dir, 'base') });
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
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('signatory-cli watermark', () => {
  it('show prints every slot with chain, pkh, kind, level and round', async () => {
    const r = await runCli(['watermark', 'show', '-c', config]);
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
    const j = await runCli(['watermark', 'show', '--json', '-c', config]);
    expect(JSON.parse(j.stdout)).toContainEqual({ chain: CHAIN, pkh: PKH2, kind: 'preattestation', level: 99, round: 1 });
  });

  it('reset without --force says what it would remove and changes nothing', async () => {
    const r = await runCli(['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', PKH, '--kind', 'block']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`would remove ${CHAIN} ${PKH} block (level 1200, round 0)`);
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

  it('reset refuses a slot that is not stored, a bad kind and a bad pkh', async () => {
    const missing = await runCli(['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', PKH2, '--kind', 'block', '--force']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no watermark stored for ${CHAIN} ${PKH2} block`);
    const kind = await runCli(['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', PKH, '--kind', 'endorsement', '--force']);
    expect(kind.stderr).toContain('--kind must be one of block, preattestation, attestation, attestation_with_dal');
    const pkh = await runCli(['watermark', 'reset', '-c', config, '--chain', CHAIN, '--pkh', 'tz3nope', '--kind', 'block', '--force']);
    expect(pkh.code).toBe(2);
    expect(pkh.stderr).toContain('--pkh');
    expect(await store.get({ chainId: CHAIN, pkh: PKH, kind: 'block' })).toMatchObject({ level: 1200 });
  });

  it('attestation_with_dal resets the shared attestation slot', async () => {
    const r = await runCli([
      'watermark',
      'reset',
      '-c',
      config,
      '--chain',
      CHAIN,
      '--pkh',
      PKH,
      '--kind',
      'attestation_with_dal',
      '--force',
    ]);
    expect(r.code).toBe(0);
    expect(await store.get({ chainId: CHAIN, pkh: PKH, kind: 'attestation' })).toBeUndefined();
  });
});
