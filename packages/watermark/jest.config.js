// The process tests' children (test/fixtures/commit-worker.js) run the built package.
module.exports = require('../../jest.config.base.js')(__dirname, { spawns: ['@signatory-ts/watermark'] });
