import { Writable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createLogger } from '../src';

function capture(json = false, level = 'debug') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, log: createLogger({ level, json, stream }) };
}

describe('createLogger', () => {
  it("writes logrus's text format: time, level (warning, not warn), quoted message, sorted fields quoted only when needed", () => {
    const { lines, log } = capture();
    log.warn('Key is missing', { pkh: 'tz1abc', vault: 'AWS KMS', ops: ['a', 'b'] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^time="\d{4}-\d\d-\d\dT[^"]+" level=warning msg="Key is missing" ops="\[a b\]" pkh=tz1abc vault="AWS KMS"$/);
  });

  it('never writes the value of a field named like a secret, in text or JSON', () => {
    for (const json of [false, true]) {
      const { lines, log } = capture(json);
      log.info('import', {
        secret_access_key: 'AKIA-SECRET-1',
        password: 'hunter2',
        privateKey: 'edsk-SECRET',
        authorization: 'Bearer x',
        token: 't0k',
        pkh: 'tz1abc',
      });
      const out = lines.join('\n');
      for (const s of ['AKIA-SECRET-1', 'hunter2', 'edsk-SECRET', 'Bearer x', 't0k']) expect(out).not.toContain(s);
      expect(out).toContain('tz1abc');
      expect(out.match(/\[redacted\]/g)).toHaveLength(5);
    }
  });

  it('JSON lines carry level, msg, time and the fields at the top level', () => {
    const { lines, log } = capture(true);
    log.error('boom', { vault: 'kms' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', msg: 'boom', vault: 'kms', time: expect.any(String) });
  });

  it('lines below the level are not written; an unknown level is refused with the names', () => {
    const { lines, log } = capture(false, 'warn');
    log.info('quiet');
    log.debug('quieter');
    expect(lines).toEqual([]);
    expect(() => createLogger({ level: 'verbose' })).toThrow('--log must be one of error, warn, info, debug, trace, got "verbose"');
  });
});

describe('logProcessWarnings', () => {
  // a real process: jest gives each test file a process object of its own, whose warnings never reach Node's
  it("turns a process warning (the AWS SDK's multi-line Node version notice) into one log line, and Node prints nothing", () => {
    const dist = path.join(__dirname, '..', 'dist');
    const script = `const { createLogger, logProcessWarnings } = require(${JSON.stringify(dist)});
      logProcessWarnings(createLogger({ json: true }));
      process.emitWarning('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\\nversions published after the first week of January 2027\\nwill require node >=22.');`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'warning',
      msg: 'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) versions published after the first week of January 2027 will require node >=22.',
    });
  });
});
