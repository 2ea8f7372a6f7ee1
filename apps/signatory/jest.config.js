// The e2e suites run `signatory serve` and kms-local as child processes.
module.exports = require('../../jest.config.base.js')(__dirname, { spawns: ['@signatory-ts/signatory', '@signatory-ts/kms-local'] });
