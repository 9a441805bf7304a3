/** Jest on ESM TypeScript: see shared TOOLCHAIN notes. */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Tests against real servers from Debian packages run apart: npm run test:real (jest.real.config.js).
  testPathIgnorePatterns: ['/node_modules/', '/test/real/'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
};
