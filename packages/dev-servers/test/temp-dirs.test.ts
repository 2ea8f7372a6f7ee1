import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tempDirs } from '../src';

describe('tempDirs', () => {
  it('makes a new empty directory under the system temp dir each time, and removeAll removes them with their contents', () => {
    const dirs = tempDirs('dev-servers-test-');
    const a = dirs.make();
    const b = dirs.make();
    expect(a).not.toBe(b);
    expect(path.dirname(a)).toBe(tmpdir());
    expect(path.basename(a)).toMatch(/^dev-servers-test-/);
    writeFileSync(path.join(a, 'file'), 'x');
    dirs.removeAll();
    expect([existsSync(a), existsSync(b)]).toEqual([false, false]);
  });
});
