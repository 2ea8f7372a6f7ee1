// jest globalSetup: builds kms-local with turbo (cached when unchanged) so the tests run the current
// sources as a real child process (in-process under jest its ECDSA is ~50x slower).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = function buildKmsLocal() {
  const root = path.resolve(__dirname, '..', '..', '..');
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'turbo'),
    ['run', 'build', '--filter=@signatory-ts/kms-local', '--output-logs=errors-only'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      timeout: 300000,
    },
  );
};
