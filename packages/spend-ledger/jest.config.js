// The file ledger's process tests' children (test/fixtures/reserve-worker.js) run the built package.
module.exports = require('../../jest.config.base.js')(__dirname, { spawns: ['@signatory-ts/spend-ledger'] });
