/**
 * Jest for the slow tier (`npm run test:slow`, see jest.tiers.js): the
 * settings of jest.config.js, limited to the files listed there.
 */
import base from './jest.config.js';
import { SLOW_TESTS } from './jest.tiers.js';

export default {
  ...base,
  testMatch: SLOW_TESTS.map((path) => `<rootDir>/${path}`),
  testPathIgnorePatterns: ['/node_modules/'],
  // Whole rollouts through git, child processes and stand-ins: on a loaded two-core machine one can take a
  // minute. Given that time outright rather than failing a submission for the machine's load.
  testTimeout: 120000,
};
