/**
 * What both binaries do with a config that does not load or can sign nothing: every CLI command
 * that reads the config, and `signatory serve`, run as child processes on real files. A YAML error
 * gives the file, line and column and never quotes the file (a secret could be on that line).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ROOT, runCli, startKms, tempDir, writeConfig, type KmsChild, type Run } from './harness';

// tests run the CLI or `signatory serve` several times in a row: on a loaded CI machine one run can take seconds, and
// a test then outlasts jest's default 60 s
jest.setTimeout(180_000);

const SIGNATORY = path.join(ROOT, 'apps', 'signatory', 'dist', 'main.js');
const T = 'AbCdS3cr3tT0k3nXyZ';

let dir: string;
beforeAll(() => {
  dir = tempDir('cli-config-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, yaml: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/**
 * `signatory serve -c file` until it exits, or until it says it is listening (then SIGTERM: a
 * daemon that should have refused to start is stopped, and `matched` says it started).
 */
function serve(file: string, until = /HTTP server is listening/): Promise<{ code: number | null; stderr: string[]; matched?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SIGNATORY, 'serve', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: string[] = [];
    let matched: string | undefined;
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      stderr.push(line);
      if (matched === undefined && until.test(line)) {
        matched = line;
        child.kill('SIGTERM');
      }
    });
    child.on('close', (code) => resolve({ code, stderr, ...(matched !== undefined ? { matched } : {}) }));
  });
}

const SK = (value: string) =>
  `vaults:\n  kms:\n    driver: awskms\n    config:\n      region: eu-west-1\n      secret_access_key: ${value}\n`;

/** [what, YAML, the message's position and wording after `file:`]. */
const YAML_ERRORS: [string, string, RegExp][] = [
  ['an unquoted secret starting with * (an alias)', SK(`*${T}`), /^:6:\d+: invalid YAML: a "\*" starts an alias/],
  ['an unquoted secret starting with ! (a tag)', SK(`!${T} x`), /^:6:26: invalid YAML: a "!" starts a tag/],
  ['an undeclared tag handle', SK(`!${T}!x y`), /^:6:\d+: invalid YAML: a "!" starts a tag/],
  ['a duplicate key', `${SK(T)}      secret_access_key: ${T}\n`, /^:7:7: invalid YAML: duplicated mapping key$/],
  ['an unterminated quote', SK(`"${T}`), /^:7:1: invalid YAML: /],
  ['a bad indentation', `${SK(T)}     region: x\n`, /^:7:\d+: invalid YAML: bad indentation of a mapping entry$/],
  ['two anchors', SK(`&${T} &${T}x y`), /^:6:\d+: invalid YAML: duplication of an anchor property$/],
];

const COMMANDS: string[][] = [
  ['list'],
  ['import', '--vault', 'kms', 'edsk4FTF78Qf1m2rykGpHqostAiq5gYW4YZEoGUSWBTJr2njsDHSnd'],
  ['generate', '--vault', 'kms', '--type', 'tz3'],
  ['watermark', 'show'],
];

describe.each(YAML_ERRORS)('a YAML error never quotes the file: %s', (what, yaml, expected) => {
  let file: string;
  // the five processes of this file are independent: all start at once, and each test awaits its own
  const cli = new Map<string[], Promise<Run>>();
  let served: ReturnType<typeof serve>;
  beforeAll(() => {
    file = write(`${what.replace(/\W+/g, '-')}.yaml`, yaml);
    for (const args of COMMANDS) cli.set(args, runCli([...args.slice(0, 1), '-c', file, ...args.slice(1)]));
    served = serve(file);
  });

  it.each(COMMANDS.map((c) => [c.join(' '), c]))('signatory-cli %s', async (_name, args) => {
    const r = await cli.get(args as string[])!;
    expect(r.stdout + r.stderr).not.toContain(T.slice(0, 8));
    expect(r.code).toBe(3);
    const line = r.stderr.trim().split('\n');
    expect(line).toHaveLength(1);
    expect(line[0]!.startsWith(`signatory-cli: ${file}`)).toBe(true);
    expect(line[0]!.slice(`signatory-cli: ${file}`.length)).toMatch(expected);
  });

  it('signatory serve', async () => {
    const r = await served;
    expect(r.stderr.join('\n')).not.toContain(T.slice(0, 8));
    expect(r.matched).toBeUndefined();
    expect(r.code).toBe(1);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]!.startsWith(`signatory: ${file}`)).toBe(true);
    expect(r.stderr[0]!.slice(`signatory: ${file}`.length)).toMatch(expected);
  });
});

describe('a config that can sign nothing', () => {
  const EMPTY =
    /the config is empty, so the signer would have no key to sign with: add a vault under "vaults:" and the keys it may sign with under "tezos:"/;
  const NO_VAULT = /no vault is configured, so the signer would have no key to sign with: add one under "vaults:"/;

  const NOTHING: [string, string, RegExp][] = [
    ['an empty file', '', EMPTY],
    ['a file of comments', '# nothing yet\n', EMPTY],
    ['no vaults', 'server:\n  address: 127.0.0.1:0\n  utility_address: 127.0.0.1:0\n', NO_VAULT],
    ['an empty vaults:', 'server:\n  address: 127.0.0.1:0\n  utility_address: 127.0.0.1:0\nvaults:\n', NO_VAULT],
  ];
  // the four daemons are independent: all start at once, and each test awaits its own
  const served = new Map<string, ReturnType<typeof serve>>();
  beforeAll(() => {
    for (const [what, yaml] of NOTHING) served.set(what, serve(write(`nothing-${what.replace(/\W+/g, '-')}.yaml`, yaml)));
  });

  it.each(NOTHING)('%s: signatory serve refuses to start, saying what to add', async (what, _yaml, message) => {
    const r = await served.get(what)!;
    expect(r.matched).toBeUndefined();
    expect(r.code).toBe(1);
    expect(r.stderr.join('\n')).toMatch(message);
  });

  describe('vaults but no tezos: key', () => {
    let kms: KmsChild;
    beforeAll(async () => {
      kms = await startKms();
    });
    afterAll(() => kms.stop());

    it('signatory serve starts and warns that every signing request will be refused', async () => {
      const sub = path.join(dir, 'no-tezos');
      mkdirSync(sub);
      const file = writeConfig(sub, { url: kms.url, serve: true });
      const r = await serve(file);
      expect(r.matched).toBeDefined();
      const warning = r.stderr.find((l) => l.includes('no key is listed under'));
      expect(warning).toMatch(/level=warning .*no key is listed under \\"tezos:\\", so every signing request will be refused/);
    });
  });
});
