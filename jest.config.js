// TZ is pinned by the npm script (TZ=UTC jest); the code itself never depends on the host zone.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // A bound that turns a hang into a failure, not a speed check: the suite must pass on a busy machine
  // (CI's own limit bounds the whole run). Tests do not set shorter ones.
  testTimeout: 1_200_000,
  maxWorkers: 2,
};
