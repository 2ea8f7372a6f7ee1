const base = require('../../jest.config.base.js')(__dirname);

// The tests run the built CLI (dist/main.js) and kms-local as child processes: build them once, first.
module.exports = { ...base, globalSetup: '<rootDir>/test/build-once.js' };
