// Shared jest settings: TypeScript transpiled by swc (@swc/jest), file by file as tsconfig's isolatedModules
// allows (type checking is the build's and check-types' job; swc transpiles 4-5 times faster than
// typescript's transpileModule, which each jest worker also had to load);
// workspace packages resolved to their sources so a test never runs against a stale dist.
// `spawns`: the workspaces (turbo filters, e.g. '@signatory-ts/signatory...') whose built code the package's tests
// run as child processes; jest.build-spawned.js builds them before the first suite.
const path = require('node:path');

module.exports = function jestConfig(dir, { spawns } = {}) {
  return {
    rootDir: dir,
    testEnvironment: 'node',
    roots: ['<rootDir>/src', '<rootDir>/test'].filter((p) => require('node:fs').existsSync(p.replace('<rootDir>', dir))),
    testMatch: ['**/*.test.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' }, sourceMaps: 'inline' },
      ],
    },
    moduleNameMapper: {
      '^@signatory-ts/([a-z-]+)$': path.join(__dirname, 'packages/$1/src/index.ts'),
    },
    testTimeout: 60000,
    // two workers even on two cores: most suites wait (child processes, servers, held calls) more than they compute
    maxWorkers: 2,
    ...(spawns ? { globalSetup: path.join(__dirname, 'jest.build-spawned.js'), globals: { spawns } } : {}),
  };
};
