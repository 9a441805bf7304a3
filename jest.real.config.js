/**
 * Jest for tests against real servers installed from Debian packages
 * (test/real/, `npm run test:real`): the settings of jest.config.js, limited to
 * test/real/ (which jest.config.js leaves out), with room for servers to start.
 */
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/test/real'],
  testMatch: ['<rootDir>/test/real/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120000,
};
