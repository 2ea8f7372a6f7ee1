import { readFileSync } from 'node:fs';
import path from 'node:path';
import { STATUS_BY_CODE } from '../src/http-errors';

describe('README says what the code does', () => {
  it("the README's code table gives every domain code the status src/http-errors.ts maps it to", () => {
    const readme = readFileSync(path.join(__dirname, '../README.md'), 'utf8');
    const table = /Code table:([^(]*)\(`src\/http-errors.ts`\)/s.exec(readme)?.[1] ?? '';
    const said = new Map<string, number>();
    for (const m of table.matchAll(/((?:[a-z_]+(?: \/ )?)+) (\d{3})/g)) for (const code of m[1]!.split(' / ')) said.set(code, Number(m[2]));
    for (const [code, status] of Object.entries(STATUS_BY_CODE)) {
      if (code === 'config_invalid') continue; // never reaches a client: the daemon does not start
      expect([code, said.get(code)]).toEqual([code, status]);
    }
  });
});
