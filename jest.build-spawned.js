// jest globalSetup for suites that run built code as child processes (kms-local, `signatory serve`, the CLI, a
// package's dist): builds the workspaces the package's jest.config.js names in `spawns` with turbo (cached when
// unchanged), so `npx jest` on a clean tree runs the current sources, and a suite never spawns a stale dist.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = function buildSpawned(_globalConfig, projectConfig) {
  const filters = projectConfig.globals.spawns.map((name) => `--filter=${name}`);
  execFileSync(path.join(__dirname, 'node_modules', '.bin', 'turbo'), ['run', 'build', ...filters, '--output-logs=errors-only'], {
    cwd: __dirname,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    timeout: 300000,
  });
};
