// The tests run the built CLI and kms-local as child processes, and config-file.test.ts runs `signatory serve` too.
module.exports = require('../../jest.config.base.js')(__dirname, {
  spawns: ['@signatory-ts/signatory-cli', '@signatory-ts/kms-local', '@signatory-ts/signatory'],
});
