import { type Logger, pino } from 'pino';
import { ConfigurationError, PermanentError, TransientError } from '../../controller/errors.js';
import { createGitHubClient } from '../../controller/github/client.js';
import { GitHubStatusReporter, type GitHubStatusReporterOptions } from '../../controller/status/github.js';
import type { CommitStatus } from '../../controller/status/reporter.js';
import { type GitHubServer, type GitHubServerOptions, startGitHubServer } from '../fakes/github-server.js';
import { isoSeconds } from '../fakes/github-state.js';
import { octokitFor, sha } from '../fakes/github-test-client.js';

const REPO = { owner: 'acme', repo: 'app' };
const FULL_NAME = 'acme/app';
const TOKEN = 'ghp_RingmasterTestToken0123456789abcdef';
const HEAD = sha('head');
const OTHER = sha('other');
const START = Date.parse('2026-11-22T10:00:00Z');

const canary = (state: CommitStatus['state'], description: string, targetUrl?: string): CommitStatus => ({
  state,
  context: 'ringmaster/canary',
  description,
  ...(targetUrl === undefined ? {} : { targetUrl }),
});

/**
 * Note: the client's throttling plugin spaces writes one second apart (one
 * Bottleneck group per process), and createGitHubClient offers no way around
 * it, so each POST here costs about a second. Tests keep their POSTs few.
 */
describe('GitHubStatusReporter against the local GitHub server', () => {
  let server: GitHubServer;
  let clock: number;
  /** Every line the root logger printed (client and reporter), as pino wrote it. */
  let lines: string[];
  /** Called with each log line as it is written, before the logging call returns. */
  let onLine: (line: string) => void;
  let log: Logger;

  beforeEach(() => {
    clock = START;
    lines = [];
    onLine = () => undefined;
    log = pino(
      { level: 'trace' },
      {
        write: (line: string) => {
          lines.push(line);
          onLine(line);
        },
      },
    );
  });
  afterEach(() => server.close());

  async function start(
    serverOptions: GitHubServerOptions = {},
    reporterOptions: GitHubStatusReporterOptions = {},
    limitRetries?: number,
  ): Promise<GitHubStatusReporter> {
    server = await startGitHubServer({
      repos: [FULL_NAME],
      token: TOKEN,
      now: () => clock,
      ...serverOptions,
    });
    server.state.addCommit(FULL_NAME, HEAD, OTHER);
    const client = createGitHubClient({
      token: TOKEN,
      baseUrl: server.url,
      log,
      retryAfterBaseValue: 1,
      ...(limitRetries === undefined ? {} : { limitRetries }),
    });
    return new GitHubStatusReporter(client, REPO, { log, ...reporterOptions });
  }

  const requests = (method: string, suffix: string) =>
    server.log.filter((e) => e.method === method && e.path.endsWith(suffix));
  const posts = () => requests('POST', `/statuses/${HEAD}`);

  /** Puts `status` on HEAD behind the reporter's back, then lets the reporter read it: its next request is a POST. */
  async function primeWith(reporter: GitHubStatusReporter, status: CommitStatus): Promise<void> {
    const { targetUrl: _, ...fields } = status;
    await octokitFor(server, TOKEN).rest.repos.createCommitStatus({ ...REPO, sha: HEAD, ...fields });
    expect(await reporter.report(HEAD, status)).toBe(false);
    server.log.length = 0;
  }

  it('writes state, context, description and target_url, and lists them back oldest first', async () => {
    const reporter = await start();
    expect(
      await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups', 'https://rm.example/r/1')),
    ).toBe(true);
    clock += 60_000;
    expect(await reporter.report(HEAD, canary('success', 'canary: 3/3 groups'))).toBe(true);

    expect(posts().map((e) => e.body)).toEqual([
      {
        state: 'pending',
        context: 'ringmaster/canary',
        description: 'canary: 0/3 groups',
        target_url: 'https://rm.example/r/1',
      },
      { state: 'success', context: 'ringmaster/canary', description: 'canary: 3/3 groups' },
    ]);
    const listed = [
      {
        ...canary('pending', 'canary: 0/3 groups', 'https://rm.example/r/1'),
        createdAt: '2026-11-22T10:00:00.000Z',
      },
      { ...canary('success', 'canary: 3/3 groups'), createdAt: '2026-11-22T10:01:00.000Z' },
    ];
    expect(await reporter.list(HEAD)).toEqual(listed);
    expect(await reporter.latest(HEAD)).toEqual(new Map([['ringmaster/canary', listed[1]]]));
  });

  it('does not write a status equal to the latest of its context, and reads each commit once', async () => {
    const reporter = await start();
    await octokitFor(server, TOKEN).rest.repos.createCommitStatus({
      ...REPO,
      sha: HEAD,
      state: 'pending',
      context: 'ringmaster/canary',
      description: 'canary: 1/3 groups',
    });
    const before = posts().length;

    expect(await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'))).toBe(false);
    expect(await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups', 'https://rm.example/x'))).toBe(
      false,
    );
    expect(await reporter.report(HEAD, canary('pending', 'canary: 2/3 groups'))).toBe(true);
    expect(await reporter.report(HEAD, canary('pending', 'canary: 2/3 groups'))).toBe(false);

    expect(posts().length - before).toBe(1);
    expect(requests('GET', `/commits/${HEAD}/statuses`)).toHaveLength(1);
  });

  it('reads every page of a commit and refuses its 1001st status of a context without calling GitHub', async () => {
    const reporter = await start();
    const repo = server.state.repo(FULL_NAME);
    for (let i = 0; i < 1000; i++) {
      const at = isoSeconds(START + i * 1000);
      repo.statuses.push({
        id: server.state.id(),
        sha: HEAD,
        state: 'pending',
        description: `canary: wave ${i}`,
        target_url: null,
        context: 'ringmaster/canary',
        created_at: at,
        updated_at: at,
        creator: server.state.viewer,
      });
    }

    const refusal = reporter.report(HEAD, canary('success', 'canary: 3/3 groups'));
    await expect(refusal).rejects.toThrow(PermanentError);
    await expect(refusal).rejects.toMatchObject({
      reason: 'StatusLimitReached',
      message: expect.stringContaining(
        `Commit ${HEAD} in acme/app already has 1000 statuses for context "ringmaster/canary"`,
      ),
    });
    expect(posts()).toHaveLength(0);
    expect(requests('GET', `/commits/${HEAD}/statuses`)).toHaveLength(10);
    expect(await reporter.report(HEAD, canary('pending', 'canary: wave 999'))).toBe(false);
  });

  it('counts its own writes against a configured cap, per commit and context', async () => {
    const reporter = await start({ maxStatusesPerContext: 2 }, { maxStatusesPerContext: 2 });
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'));

    await expect(reporter.report(HEAD, canary('pending', 'canary: 2/3 groups'))).rejects.toMatchObject({
      name: 'PermanentError',
      reason: 'StatusLimitReached',
    });
    expect(posts()).toHaveLength(2);
    expect(server.log.every((e) => e.status < 400)).toBe(true);
  });

  it.each([
    [
      'a status over GitHub’s own limit',
      { maxStatusesPerContext: 1 },
      HEAD,
      /^Writing status "ringmaster\/canary" on commit 6865.* in acme\/app failed: GitHub answered 422: Validation Failed: .*This SHA and context has reached the maximum number of statuses\./,
    ],
    [
      'a commit GitHub does not know',
      {},
      sha('unknown'),
      /^Reading the statuses of commit 756e.* in acme\/app failed: GitHub answered 422: No commit found for SHA: 756e/,
    ],
  ])(
    'turns GitHub’s 422 for %s into a PermanentError with its message',
    async (_, options, commit, message) => {
      const reporter = await start(options);
      if (commit === HEAD) await reporter.report(commit, canary('pending', 'canary: 0/3 groups'));

      const refusal = reporter.report(commit, canary('pending', 'canary: 1/3 groups'));
      await expect(refusal).rejects.toThrow(PermanentError);
      await expect(refusal).rejects.toMatchObject({
        reason: 'StatusRejected',
        message: expect.stringMatching(message),
      });
    },
  );

  it('retries a write refused by a secondary rate limit, and the status lands', async () => {
    const reporter = await start();
    await primeWith(reporter, canary('pending', 'canary: 0/3 groups'));
    server.secondaryLimit(1, 1);

    expect(await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'))).toBe(true);

    expect(posts().map((e) => [e.status, e.limited])).toEqual([
      [403, 'secondary'],
      [201, undefined],
    ]);
    expect(server.state.statusesOf(FULL_NAME, HEAD).map((s) => s.description)).toEqual([
      'canary: 0/3 groups',
      'canary: 1/3 groups',
    ]);
    expect(lines.join('')).toContain('GitHub secondary rate limit reached; backing off');
  });

  it('waits for the reset of a spent primary limit, then writes', async () => {
    // The plugin measures the wait against the real clock, so the server starts on it.
    clock = Date.now();
    const reporter = await start({ rateLimitWindowSeconds: 60 });
    server.limits.setRemaining(0);
    const reset = server.limits.reset();
    const waits: number[] = [];
    // The client's wait passes in the server's time at once: its clock jumps past the reset.
    onLine = (line) => {
      const entry = JSON.parse(line) as { msg: string; retryAfter?: number };
      if (entry.msg !== 'GitHub rate limit reached; waiting for its reset') return;
      waits.push(entry.retryAfter ?? -1);
      clock = (reset + 1) * 1000;
    };

    expect(await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'))).toBe(true);

    // The first request of the report, reading the commit, met the limit.
    expect(server.log.map((e) => [e.method, e.status, e.limited])).toEqual([
      ['GET', 403, 'primary'],
      ['GET', 200, undefined],
      ['POST', 201, undefined],
    ]);
    expect(server.log[1]?.time).toBeGreaterThan(reset * 1000);
    // The plugin computes the wait from x-ratelimit-reset (60 s ahead) against the real clock, plus 1 s.
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(60);
    expect(waits[0]).toBeLessThanOrEqual(62);
  });

  it('gives a TransientError when the rate limit outlasts the client’s retries, and writes on a later try', async () => {
    const reporter = await start({}, {}, 1);
    await primeWith(reporter, canary('pending', 'canary: 0/3 groups'));
    server.secondaryLimit(2, 1);

    const refusal = reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'));
    await expect(refusal).rejects.toThrow(TransientError);
    await expect(refusal).rejects.toMatchObject({ reason: 'GitHubRateLimited' });
    expect(posts().map((e) => e.status)).toEqual([403, 403]);

    expect(await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'))).toBe(true);
    // The failed write made it forget the commit, so it read GitHub again.
    expect(requests('GET', `/commits/${HEAD}/statuses`)).toHaveLength(1);
  });

  it('gives a TransientError when GitHub cannot be reached', async () => {
    const reporter = await start();
    await server.close();
    server = await startGitHubServer();

    const refusal = reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await expect(refusal).rejects.toThrow(TransientError);
    await expect(refusal).rejects.toMatchObject({ reason: 'GitHubUnavailable' });
  });

  it('gives a ConfigurationError for a token GitHub does not accept', async () => {
    const reporter = await start({ token: 'another-token' });

    await expect(reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'))).rejects.toMatchObject({
      name: 'ConfigurationError',
      reason: 'GitHubUnauthorized',
      message: expect.stringContaining('Check that GITHUB_TOKEN is set and still valid.'),
    });
  });

  it('refuses an invalid status before calling GitHub', async () => {
    const reporter = await start();

    await expect(reporter.report(HEAD, canary('pending', 'x'.repeat(141)))).rejects.toThrow(
      ConfigurationError,
    );
    expect(server.log).toHaveLength(0);
  });

  it('forgets the least recently used commit beyond maxCachedCommits and reads it again', async () => {
    const reporter = await start({}, { maxCachedCommits: 1 });
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await reporter.report(OTHER, canary('pending', 'canary: 0/3 groups'));

    expect(await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'))).toBe(false);
    expect(requests('GET', `/commits/${HEAD}/statuses`)).toHaveLength(2);
    expect(requests('GET', `/commits/${OTHER}/statuses`)).toHaveLength(1);
  });

  it('never logs the token, whatever happens', async () => {
    const reporter = await start({ maxStatusesPerContext: 1 });
    server.secondaryLimit(1, 1);
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    const err = await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups')).catch((e: unknown) => e);
    log.error({ err }, 'Reporting the status failed');

    const output = lines.join('');
    expect(output).toContain('GitHub secondary rate limit reached; backing off');
    expect(output).toContain('This SHA and context has reached the maximum number of statuses.');
    expect(output).toContain(`POST /repos/acme/app/statuses/${HEAD}`);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(TOKEN.slice(4, 20));
  });
});
