module.exports = { ...require('../../jest.config.base.js')(__dirname), globalSetup: '<rootDir>/test/build-kms-local.js' };
