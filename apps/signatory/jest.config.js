// The e2e suites run `signatory serve` and kms-local as child processes. Four workers: the suites mostly wait on
// those processes (alone on two cores, 2 workers kept ~1.4 cores busy: 131 s; 3 workers 104 s; 4 workers 93 s).
module.exports = require('../../jest.config.base.js')(__dirname, {
  spawns: ['@signatory-ts/signatory', '@signatory-ts/kms-local'],
  maxWorkers: 4,
});
