import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { type GitHubServer, type GitHubServerOptions, startGitHubServer } from './github-server.js';
import { octokitFor, rejection, sendRaw, sha, silentLog } from './github-test-client.js';

const owner = 'acme';
const repo = 'app';
const HEAD = sha('head');
const START = Date.parse('2026-11-22T10:00:00Z');

describe('local GitHub server: limits, auth, ETags and the request log', () => {
  let servers: GitHubServer[];
  let clock: number;

  beforeEach(() => {
    servers = [];
    clock = START;
  });
  afterEach(() => Promise.all(servers.map((s) => s.close())));

  async function start(options: GitHubServerOptions = {}) {
    const server = await startGitHubServer({ repos: ['acme/app'], now: () => clock, ...options });
    server.state.addCommit('acme/app', HEAD);
    servers.push(server);
    return { server, gh: octokitFor(server) };
  }

  it('sends the x-ratelimit headers on every response, counting each request once', async () => {
    const { gh } = await start({ rateLimit: 10 });
    const seen: string[][] = [];
    for (let i = 0; i < 2; i++) {
      const { headers } = await gh.rest.repos.listCommitStatusesForRef({ owner, repo, ref: HEAD });
      seen.push([headers['x-ratelimit-remaining'], headers['x-ratelimit-used']].map(String));
    }
    const refused = await rejection(
      sendRaw(gh, 'POST /repos/{owner}/{repo}/statuses/{sha}', { owner, repo, sha: HEAD, state: 'done' }),
    );
    const h = refused.response?.headers ?? {};
    seen.push([h['x-ratelimit-remaining'], h['x-ratelimit-used']].map(String));
    expect(seen).toEqual([
      ['9', '1'],
      ['8', '2'],
      ['7', '3'],
    ]);
    expect(h).toMatchObject({
      'x-ratelimit-limit': '10',
      'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(START / 1000 + 3600),
    });
  });

  it('answers 403 with remaining 0 and GitHub message once the budget is spent, until the reset', async () => {
    const { server, gh } = await start({ rateLimit: 2 });
    const get = () => gh.rest.pulls.list({ owner, repo });
    await get();
    await get();
    const failure = await rejection(get());
    expect(failure.status).toBe(403);
    expect(failure.message).toMatch(
      /^API rate limit exceeded for user ID 4242\. If you reach out to GitHub Support/,
    );
    expect(failure.response?.headers['x-ratelimit-remaining']).toBe('0');
    expect(server.log.at(-1)).toMatchObject({ status: 403, limited: 'primary' });
    clock = (server.limits.reset() + 1) * 1000;
    const after = await get();
    expect(after.headers['x-ratelimit-remaining']).toBe('1');
  });

  it('answers 401 Bad credentials without a token or with a wrong one, and accepts Bearer', async () => {
    const { server } = await start({ token: 's3cret', rateLimit: 10 });
    const wrong = await rejection(octokitFor(server, 'wrong').rest.pulls.list({ owner, repo }));
    const none = await rejection(
      new Octokit({ baseUrl: server.url, log: silentLog }).rest.pulls.list({ owner, repo }),
    );
    for (const failure of [wrong, none]) {
      expect(failure.status).toBe(401);
      expect(failure.response?.data).toMatchObject({ message: 'Bad credentials' });
    }
    const bearer = await fetch(`${server.url}/repos/acme/app/pulls`, {
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get('x-ratelimit-remaining')).toBe('9');
  });

  it('answers 304 to a matching if-none-match without spending the budget, and 200 once the data changed', async () => {
    const { gh } = await start({ rateLimit: 10 });
    const route = 'GET /repos/{owner}/{repo}/commits/{ref}/status' as const;
    const first = await gh.request(route, { owner, repo, ref: HEAD });
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    const notModified = await rejection(
      gh.request(route, { owner, repo, ref: HEAD, headers: { 'if-none-match': etag } }),
    );
    // Octokit turns a 304 into a rejected promise (RequestError "Not modified").
    expect(notModified.status).toBe(304);
    expect(notModified.response?.headers['x-ratelimit-remaining']).toBe('9');
    await gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'success' });
    const changed = await gh.request(route, { owner, repo, ref: HEAD, headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.headers['x-ratelimit-remaining']).toBe('7');
  });

  it.each([403, 429] as const)(
    'forces a secondary limit answered %s with retry-after on the next n requests',
    async (status) => {
      const { server, gh } = await start();
      server.secondaryLimit(2, 30, status);
      for (let i = 0; i < 2; i++) {
        const failure = await rejection(gh.rest.pulls.list({ owner, repo }));
        expect(failure.status).toBe(status);
        expect(failure.message).toMatch(
          /^You have exceeded a secondary rate limit\. Please wait a few minutes/,
        );
        expect(failure.response?.headers['retry-after']).toBe('30');
      }
      expect((await gh.rest.pulls.list({ owner, repo })).status).toBe(200);
      expect(server.log.map((e) => e.limited)).toEqual(['secondary', 'secondary', undefined]);
    },
  );

  it('refuses a reporter that writes more than maxWritesPerMinute, while reads go on', async () => {
    const { server, gh } = await start({ maxWritesPerMinute: 3 });
    const results: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      const write = gh.rest.repos.createCommitStatus({
        owner,
        repo,
        sha: HEAD,
        state: 'pending',
        context: `ring/${i}`,
      });
      results.push(
        await write.then(
          (r) => r.status,
          (e: { status: number }) => e.status,
        ),
      );
    }
    expect(results).toEqual([201, 201, 201, 403, 403]);
    const refused = server.log.filter((e) => e.limited === 'secondary');
    expect(refused.map((e) => e.body)).toEqual([
      { state: 'pending', context: 'ring/3' },
      { state: 'pending', context: 'ring/4' },
    ]);
    const failure = await rejection(
      gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'success' }),
    );
    expect(failure.message).toMatch(
      /secondary rate limit and have been temporarily blocked from content creation/,
    );
    expect(failure.response?.headers['retry-after']).toBe('56');
    expect((await gh.rest.repos.getCombinedStatusForRef({ owner, repo, ref: HEAD })).data.total_count).toBe(
      3,
    );
    clock += 56_000;
    expect(
      (await gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'success' })).status,
    ).toBe(201);
  });

  it('logs every request with method, path, query, status, time and body', async () => {
    const { server, gh } = await start();
    await gh.rest.repos.createCommitStatus({
      owner,
      repo,
      sha: HEAD,
      state: 'success',
      context: 'ring/1',
      description: 'ok',
    });
    await gh.rest.repos.listCommitStatusesForRef({ owner, repo, ref: HEAD, per_page: 5 });
    expect(server.log).toEqual([
      {
        method: 'POST',
        path: `/repos/acme/app/statuses/${HEAD}`,
        query: {},
        status: 201,
        time: START,
        body: { state: 'success', context: 'ring/1', description: 'ok' },
      },
      {
        method: 'GET',
        path: `/repos/acme/app/commits/${HEAD}/statuses`,
        query: { per_page: '5' },
        status: 200,
        time: START,
        body: undefined,
      },
    ]);
  });
});

describe('local GitHub server with @octokit/plugin-throttling', () => {
  let server: GitHubServer;
  afterEach(() => server.close());

  function throttled(
    onSecondaryRateLimit: (retryAfter: number) => boolean,
    onRateLimit: (retryAfter: number) => boolean = () => false,
  ) {
    const Throttled = Octokit.plugin(throttling);
    // retryAfterBaseValue: milliseconds per retry-after second, so the retry comes at once.
    const throttle = { onSecondaryRateLimit, onRateLimit, retryAfterBaseValue: 1 };
    return new Throttled({ auth: 'token', baseUrl: server.url, log: silentLog, throttle });
  }

  it('is recognised as a secondary limit by the plugin, which waits retry-after and retries', async () => {
    server = await startGitHubServer({ repos: ['acme/app'], anyCommit: true });
    server.secondaryLimit(1, 17);
    const asked: number[] = [];
    const gh = throttled((retryAfter) => asked.push(retryAfter) === 1);
    const res = await gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'success' });
    expect(res.status).toBe(201);
    expect(asked).toEqual([17]);
    expect(server.log.map((e) => e.status)).toEqual([403, 201]);
  });

  it('is recognised as the primary limit by the plugin, with the wait computed from x-ratelimit-reset', async () => {
    server = await startGitHubServer({ repos: ['acme/app'] });
    server.limits.setRemaining(0);
    const waits: number[] = [];
    const gh = throttled(
      () => false,
      (retryAfter: number) => waits.push(retryAfter) < 0,
    );
    expect((await rejection(gh.rest.pulls.list({ owner, repo }))).status).toBe(403);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(3500);
    expect(waits[0]).toBeLessThanOrEqual(3602);
  });
});
