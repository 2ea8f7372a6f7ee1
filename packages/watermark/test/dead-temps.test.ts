import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { removeDeadTemps, replaceDurably } from '../src';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wm-dead-temps-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it("removes the file's temporary files only: not another file's, not the file itself", async () => {
  const file = path.join(dir, 'a.json');
  await replaceDurably(dir, file, '{}', () => undefined);
  for (const name of ['.a.json.1.x.0.tmp', '.a.json.2.y.1.tmp', '.b.json.1.x.0.tmp', 'a.json.tmp', '.a.json.1.x.0.tmp.keep']) {
    writeFileSync(path.join(dir, name), 'partial');
  }
  expect(removeDeadTemps(dir, file)).toBe(true);
  expect(readdirSync(dir).sort()).toEqual(['.a.json.1.x.0.tmp.keep', '.b.json.1.x.0.tmp', 'a.json', 'a.json.tmp']);
});

it('answers false, throwing nothing, when the directory cannot be read (tried again later)', () => {
  const gone = path.join(dir, 'gone');
  expect(removeDeadTemps(gone, path.join(gone, 'a.json'))).toBe(false);
});
