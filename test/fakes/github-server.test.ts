import type { Octokit } from '@octokit/rest';
import { type GitHubServer, startGitHubServer } from './github-server.js';
import { octokitFor, rejection, sendRaw, sha } from './github-test-client.js';

const owner = 'acme';
const repo = 'app';
const HEAD = sha('head');
const STATUS_DOCS = 'https://docs.github.com/rest/commits/statuses#create-a-commit-status';

describe('local GitHub server: commit statuses', () => {
  let server: GitHubServer;
  let gh: Octokit;

  beforeEach(async () => {
    server = await startGitHubServer({ repos: ['acme/app'] });
    server.state.addCommit('acme/app', HEAD);
    gh = octokitFor(server);
  });
  afterEach(() => server.close());

  it('creates a status and answers 201 with GitHub status fields, context defaulting to "default"', async () => {
    const res = await gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'pending' });
    expect(res.status).toBe(201);
    expect(res.data).toMatchObject({
      state: 'pending',
      context: 'default',
      description: null,
      target_url: null,
      creator: { login: 'ringmaster[bot]' },
    });
    expect(res.data.id).toEqual(expect.any(Number));
    expect(res.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(server.state.statusesOf('acme/app', HEAD)).toHaveLength(1);
  });

  const long = 'x'.repeat(141);
  it.each([
    ['an unknown state', { state: 'done' }, { field: 'state', message: 'state is not included in the list' }],
    [
      'a description over 140 characters',
      { state: 'success', description: long },
      { field: 'description', message: 'description is too long (maximum is 140 characters)' },
    ],
    [
      'a non-http target_url',
      { state: 'success', target_url: 'ftp://ci.example.com/1' },
      { field: 'target_url', message: 'target_url must use http(s) scheme' },
    ],
  ])('refuses %s with 422 Validation Failed', async (_name, body, error) => {
    const failure = await rejection(
      sendRaw(gh, 'POST /repos/{owner}/{repo}/statuses/{sha}', { owner, repo, sha: HEAD, ...body }),
    );
    expect(failure.status).toBe(422);
    expect(failure.response?.data).toEqual({
      message: 'Validation Failed',
      errors: [{ resource: 'Status', code: 'custom', ...error }],
      documentation_url: STATUS_DOCS,
    });
    expect(server.state.statusesOf('acme/app')).toHaveLength(0);
  });

  it('counts description length in characters, so 140 emoji pass', async () => {
    const res = await gh.rest.repos.createCommitStatus({
      owner,
      repo,
      sha: HEAD,
      state: 'success',
      description: '🚀'.repeat(140),
    });
    expect(res.status).toBe(201);
  });

  it('refuses an empty context as a missing field', async () => {
    const failure = await rejection(
      gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'success', context: '' }),
    );
    expect(failure.response?.data).toMatchObject({
      errors: [{ resource: 'Status', code: 'missing_field', field: 'context' }],
    });
  });

  it('answers 422 "No commit found for SHA" for a commit it does not know, before checking fields', async () => {
    const other = sha('unknown');
    const failure = await rejection(
      sendRaw(gh, 'POST /repos/{owner}/{repo}/statuses/{sha}', { owner, repo, sha: other, state: 'bogus' }),
    );
    expect(failure.status).toBe(422);
    expect(failure.response?.data).toEqual({
      message: `No commit found for SHA: ${other}`,
      documentation_url: STATUS_DOCS,
    });
  });

  it('accepts any 40-hex sha with anyCommit, but still not a branch-like name', async () => {
    const open = await startGitHubServer({ repos: ['acme/app'], anyCommit: true });
    try {
      const client = octokitFor(open);
      const res = await client.rest.repos.createCommitStatus({
        owner,
        repo,
        sha: sha('whatever'),
        state: 'success',
      });
      expect(res.status).toBe(201);
      const failure = await rejection(
        client.rest.repos.createCommitStatus({ owner, repo, sha: 'main', state: 'success' }),
      );
      expect(failure.status).toBe(422);
    } finally {
      await open.close();
    }
  });

  it('refuses the 1001st status for one sha and context, case-insensitively, and accepts other contexts', async () => {
    for (let i = 0; i < 1000; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) =>
        gh.rest.repos.createCommitStatus({
          owner,
          repo,
          sha: HEAD,
          state: 'pending',
          context: j % 2 ? 'ring/a' : 'Ring/A',
        }),
      );
      await Promise.all(batch);
    }
    const failure = await rejection(
      gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'success', context: 'ring/a' }),
    );
    expect(failure.status).toBe(422);
    expect(failure.response?.data).toMatchObject({
      errors: [
        {
          resource: 'Status',
          code: 'custom',
          message: 'This SHA and context has reached the maximum number of statuses.',
        },
      ],
    });
    const other = await gh.rest.repos.createCommitStatus({
      owner,
      repo,
      sha: HEAD,
      state: 'success',
      context: 'ring/b',
    });
    expect(other.status).toBe(201);
    expect(server.state.statusesOf('acme/app', HEAD)).toHaveLength(1001);
  });

  it('applies a configured per-context limit', async () => {
    const small = await startGitHubServer({ repos: ['acme/app'], anyCommit: true, maxStatusesPerContext: 2 });
    try {
      const client = octokitFor(small);
      const post = () =>
        client.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'pending', context: 'c' });
      await post();
      await post();
      expect((await rejection(post())).status).toBe(422);
    } finally {
      await small.close();
    }
  });

  it('lists statuses newest first, paginated with a link header', async () => {
    for (const state of ['pending', 'failure', 'success'] as const) {
      await gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state, context: 'ring/1' });
    }
    const first = await gh.rest.repos.listCommitStatusesForRef({ owner, repo, ref: HEAD, per_page: 2 });
    expect(first.data.map((s) => s.state)).toEqual(['success', 'failure']);
    expect(first.headers.link).toContain('rel="next"');
    const all = await gh.paginate(gh.rest.repos.listCommitStatusesForRef, {
      owner,
      repo,
      ref: HEAD,
      per_page: 2,
    });
    expect(all.map((s) => s.state)).toEqual(['success', 'failure', 'pending']);
  });

  it.each([
    ['no statuses', 'pending', []],
    [
      'all success',
      'success',
      [
        ['a', 'success'],
        ['b', 'success'],
      ],
    ],
    [
      'one pending',
      'pending',
      [
        ['a', 'success'],
        ['b', 'pending'],
      ],
    ],
    [
      'one error',
      'failure',
      [
        ['a', 'success'],
        ['b', 'error'],
      ],
    ],
    [
      'failure beats pending',
      'failure',
      [
        ['a', 'pending'],
        ['b', 'failure'],
      ],
    ],
    [
      'only the latest per context counts',
      'success',
      [
        ['a', 'failure'],
        ['a', 'success'],
      ],
    ],
    [
      'the latest can also turn it red',
      'failure',
      [
        ['a', 'success'],
        ['A', 'error'],
      ],
    ],
  ] as const)('combines %s into %s', async (_name, expected, writes) => {
    for (const [context, state] of writes) {
      await gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state, context });
    }
    const res = await gh.rest.repos.getCombinedStatusForRef({ owner, repo, ref: HEAD });
    expect(res.data.state).toBe(expected);
    expect(res.data.total_count).toBe(new Set(writes.map(([c]) => c.toLowerCase())).size);
    expect(res.data.sha).toBe(HEAD);
  });

  it('reads the combined status of a branch name, latest per context, without creator', async () => {
    server.state.setBranch('acme/app', 'main', HEAD);
    await gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'pending', context: 'ring/1' });
    await gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'success', context: 'ring/1' });
    await gh.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: 'pending', context: 'ring/2' });
    const res = await gh.rest.repos.getCombinedStatusForRef({ owner, repo, ref: 'main' });
    expect(res.data.statuses.map((s) => [s.context, s.state])).toEqual([
      ['ring/2', 'pending'],
      ['ring/1', 'success'],
    ]);
    expect(res.data.statuses[0]).not.toHaveProperty('creator');
  });
});

describe('local GitHub server: routing and repositories', () => {
  let server: GitHubServer;
  let gh: Octokit;

  beforeEach(async () => {
    server = await startGitHubServer({ repos: ['acme/app'] });
    gh = octokitFor(server);
  });
  afterEach(() => server.close());

  it.each([
    ['an unknown endpoint', 'GET /repos/acme/app/branches'],
    ['an unknown repository', 'GET /repos/acme/other/pulls'],
    ['a path outside /repos', 'GET /user'],
  ])('answers 404 Not Found for %s', async (_name, route) => {
    const failure = await rejection(gh.request(route));
    expect(failure.status).toBe(404);
    expect(failure.response?.data).toMatchObject({ message: 'Not Found' });
  });

  it('answers 400 "Problems parsing JSON" to a body that is not JSON, and logs the raw text', async () => {
    server.state.addCommit('acme/app', HEAD);
    const res = await fetch(`${server.url}/repos/acme/app/statuses/${HEAD}`, {
      method: 'POST',
      headers: { authorization: 'token t', 'content-type': 'application/json' },
      body: '{"state": "success"',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: 'Problems parsing JSON' });
    expect(server.log.at(-1)).toMatchObject({ status: 400, body: '{"state": "success"' });
    expect(server.state.statusesOf('acme/app')).toEqual([]);
  });

  it('matches repository names case-insensitively, like GitHub', async () => {
    const res = await gh.rest.pulls.list({ owner: 'ACME', repo: 'App' });
    expect(res.status).toBe(200);
  });
});
