/** Jest on ESM TypeScript: see shared TOOLCHAIN notes. The fast tier: `npm test`. */
import { SLOW_TESTS } from './jest.tiers.js';

export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Apart: the slow tier (npm run test:slow, jest.tiers.js) and the tests against real servers from Debian
  // packages (npm run test:real, jest.real.config.js).
  testPathIgnorePatterns: ['/node_modules/', '/test/real/', ...SLOW_TESTS.map((path) => `<rootDir>/${path}`)],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
  // The built CLI, which many tests run as a child, is never older than the sources.
  globalSetup: '<rootDir>/jest.global-setup.js',
};
