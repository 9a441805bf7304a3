/**
 * The slow tier of the test suite (`npm run test:slow`): crash trials, the
 * invalid-input corpus, and end-to-end tests that drive git, child processes
 * and stand-in servers through whole rollouts. Everything else is the fast
 * tier (`npm test`). A file belongs here when it takes more than about ten
 * seconds on a two-core machine; `.ci/run` runs both tiers.
 */
export const SLOW_TESTS = [
  'test/cli/check-github.test.ts',
  'test/cli/check.test.ts',
  'test/cli/controller.test.ts',
  'test/cli/crash-kubernetes.test.ts',
  'test/cli/crash-move.test.ts',
  'test/cli/crash.test.ts',
  'test/cli/github.test.ts',
  'test/cli/kubernetes.test.ts',
  'test/cli/live.test.ts',
  'test/cli/move-kubernetes.test.ts',
  'test/cli/move.test.ts',
  'test/cli/promote.test.ts',
  'test/cli/retry.test.ts',
  'test/cli/run-remote.test.ts',
  'test/github/commit-gate.test.ts',
  'test/model/incremental-load.test.ts',
  'test/model/invalid-fixtures.test.ts',
  'test/source/git-merge-effects.test.ts',
  'test/source/git-object-reader.test.ts',
  'test/source/mirror.test.ts',
  'test/status/git-notes-concurrency.test.ts',
  'test/status/git-notes-repository.test.ts',
  'test/status/git-notes.test.ts',
  'test/status/github.test.ts',
];
