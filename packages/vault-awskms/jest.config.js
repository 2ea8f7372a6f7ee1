// Most tests run kms-local as a child process (test/kms-child.ts, through kms-local's spawnKmsLocal).
module.exports = require('../../jest.config.base.js')(__dirname, { spawns: ['@signatory-ts/kms-local'] });
