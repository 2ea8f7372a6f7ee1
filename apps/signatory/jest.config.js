// The e2e suites run `signatory serve` and kms-local as child processes. Two workers: the suites mostly wait
// on those children (start-up, a held KMS call, a reload), so on two cores a second worker halves the wall time.
module.exports = {
  ...require('../../jest.config.base.js')(__dirname, { spawns: ['@signatory-ts/signatory', '@signatory-ts/kms-local'] }),
  maxWorkers: 2,
};
