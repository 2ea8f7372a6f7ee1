/**
 * The no-echo prompts, on a real pseudo-terminal (util-linux `script`): the secret key and the
 * password are typed after their prompts appear, and neither is echoed back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { CLI, startKms, tempDir, writeConfig, type KmsChild } from './harness';

const P2ESK = 'p2esk1rqdHRPz4xQh8uP8JaWSVnGFTKxkh2utdjK5CPDTXAzzh5sXnnobLkGrXEZzGhCKFDSjv8Ggrjt7PnobRzs';
const hasScript = spawnSync('script', ['--version']).status === 0;

let kms: KmsChild;
let dir: string;
beforeAll(async () => {
  kms = await startKms();
  dir = tempDir('cli-prompt-');
});
afterAll(async () => {
  await kms.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI on a pty; each answer is typed once its prompt has been printed. */
function onTerminal(args: string[], answers: [RegExp, string][]): Promise<{ code: number | null; output: string }> {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { PATH: process.env.PATH ?? '', TERM: 'dumb' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const next = answers[0];
      if (next && next[0].test(output)) {
        answers.shift();
        child.stdin.write(`${next[1]}\r`);
      }
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

(hasScript ? it : it.skip)('asks for the secret key and its password without echoing either', async () => {
  const config = writeConfig(dir, { url: kms.url });
  const r = await onTerminal(
    ['import', '-c', config, '--vault', 'kms'],
    [
      [/Enter the secret key: $/, P2ESK],
      [/Enter the password: $/, 'qqq'],
    ],
  );
  expect(r.code).toBe(0);
  expect(r.output).toMatch(/Public Key:\s+p2pk68Ky2h9UZZ4jUYws8mU8Cazhu4H1LdK22wD8HgDPRSvsJPBDtJ7/);
  expect(r.output).not.toContain(P2ESK);
  expect(r.output).not.toContain('qqq');
});
