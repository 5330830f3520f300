/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { diagnostics: false }];

module.exports = {
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  transform: { '^.+\\.ts$': tsJest },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '/dist/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@middy/core$': '<rootDir>/test/support/middy-core.js' },
  testTimeout: 30_000,
};
