// jest globalSetup: builds the CLI, the packages it loads, kms-local and the signatory daemon (config-file.test.ts
// runs `signatory serve` too) with turbo (cached when unchanged), so every test file runs the current sources as
// real child processes.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = function buildOnce() {
  const root = path.resolve(__dirname, '..', '..', '..');
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'turbo'),
    [
      'run',
      'build',
      '--filter=@signatory-ts/signatory-cli...',
      '--filter=@signatory-ts/kms-local',
      '--filter=@signatory-ts/signatory',
      '--output-logs=errors-only',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' }, timeout: 300000 },
  );
};
