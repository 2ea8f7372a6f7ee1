// test/logger.test.ts loads the built package in a child process.
module.exports = require('../../jest.config.base.js')(__dirname, { spawns: ['@signatory-ts/log'] });
