import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileWatermarkStore } from '../src';
import { describeWatermarkStore } from './store-conformance';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeWatermarkStore('FileWatermarkStore', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wm-'));
  dirs.push(dir);
  return new FileWatermarkStore({ baseDir: dir });
});
