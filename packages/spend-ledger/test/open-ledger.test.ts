import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WatermarkConfig } from '@signatory-ts/config';
import { FileSpendLedger, MemorySpendLedger, openSpendLedger } from '../src';

let base: string;
beforeEach(() => (base = mkdtempSync(path.join(tmpdir(), 'spend-open-'))));
afterEach(() => rmSync(base, { recursive: true, force: true }));

it('follows watermark.driver: file under base_dir/spend_ledger, mem in memory', async () => {
  const file = await openSpendLedger({ baseDir: base, watermark: { driver: 'file' } });
  expect(file).toBeInstanceOf(FileSpendLedger);
  expect((file as FileSpendLedger).dir).toBe(path.join(base, 'spend_ledger'));
  expect(await openSpendLedger({ baseDir: base, watermark: { driver: 'mem' } })).toBeInstanceOf(MemorySpendLedger);
});

it('a watermark driver without a ledger is a config error saying what to do', async () => {
  const watermark = { driver: 'etcd' } as unknown as WatermarkConfig;
  await expect(openSpendLedger({ baseDir: base, watermark })).rejects.toMatchObject({
    code: 'config_invalid',
    message:
      'spend caps (limits.spend) are not supported with watermark driver "etcd" yet: remove limits.spend, or use watermark driver file, aws or postgres',
  });
});
