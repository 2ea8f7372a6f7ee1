// test/cli.test.ts runs the built command.
module.exports = require('../../jest.config.base.js')(__dirname, { spawns: ['@signatory-ts/kms-local'] });
