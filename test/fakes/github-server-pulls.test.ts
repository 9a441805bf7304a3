import type { Octokit } from '@octokit/rest';
import { type GitHubServer, startGitHubServer } from './github-server.js';
import { octokitFor, rejection, sha } from './github-test-client.js';

const owner = 'acme';
const repo = 'app';
const MAIN = sha('main');
const FEATURE = sha('feature');
const MERGE = sha('merge');
const OTHER = sha('other');

describe('local GitHub server: pull requests', () => {
  let server: GitHubServer;
  let gh: Octokit;

  beforeEach(async () => {
    server = await startGitHubServer({ repos: ['acme/app'] });
    server.state.setBranch('acme/app', 'main', MAIN);
    server.state.setBranch('acme/app', 'feature', FEATURE);
    gh = octokitFor(server);
  });
  afterEach(() => server.close());

  function seedMerged() {
    return server.state.addPull('acme/app', {
      number: 7,
      title: 'Release 1.2 to ring 1',
      body: 'Promotes 1.2',
      user: 'alice',
      head: { ref: 'promote-1.2', sha: OTHER },
      base: { ref: 'main' },
      merge_commit_sha: MERGE,
      created_at: '2026-11-19T10:00:00Z',
      merged_at: '2026-11-20T10:00:00Z',
    });
  }

  it('finds the merged pull request that introduced a merge commit', async () => {
    seedMerged();
    const res = await gh.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: MERGE });
    expect(res.data).toHaveLength(1);
    expect(res.data[0]).toMatchObject({
      number: 7,
      state: 'closed',
      merged_at: '2026-11-20T10:00:00Z',
      merge_commit_sha: MERGE,
      title: 'Release 1.2 to ring 1',
      body: 'Promotes 1.2',
      user: { login: 'alice' },
      base: { ref: 'main', sha: MAIN },
      head: { ref: 'promote-1.2', sha: OTHER, label: 'acme:promote-1.2' },
      html_url: 'https://github.com/acme/app/pull/7',
    });
  });

  it('finds an open pull request by its head commit, and none for an unrelated commit', async () => {
    seedMerged();
    server.state.addPull('acme/app', { number: 8, head: { ref: 'feature', sha: FEATURE } });
    const byHead = await gh.rest.repos.listPullRequestsAssociatedWithCommit({
      owner,
      repo,
      commit_sha: FEATURE,
    });
    expect(byHead.data.map((p) => p.number)).toEqual([8]);
    const none = await gh.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: MAIN });
    expect(none.data).toEqual([]);
  });

  it('finds a merged pull request by a commit its rebase merge wrote, which its commits do not list', async () => {
    const rebased = sha('rebased');
    server.state.addPull('acme/app', {
      number: 7,
      head: { ref: 'promote-1.2', sha: OTHER },
      associated: [rebased],
      merge_commit_sha: MERGE,
      merged_at: '2026-11-20T10:00:00Z',
    });
    const found = await gh.rest.repos.listPullRequestsAssociatedWithCommit({
      owner,
      repo,
      commit_sha: rebased,
    });
    expect(found.data.map((p) => p.number)).toEqual([7]);
    const commits = await gh.rest.pulls.listCommits({ owner, repo, pull_number: 7 });
    expect(commits.data.map((c) => c.sha)).toEqual([OTHER]);
  });

  it('answers 422 for a commit it does not know', async () => {
    const failure = await rejection(
      gh.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: sha('nope') }),
    );
    expect(failure.status).toBe(422);
    expect(failure.message).toContain('No commit found for SHA');
  });

  it('gets one pull request with merged set, and 404 for an unknown number', async () => {
    seedMerged();
    const res = await gh.rest.pulls.get({ owner, repo, pull_number: 7 });
    expect(res.data).toMatchObject({ number: 7, merged: true, state: 'closed' });
    expect((await rejection(gh.rest.pulls.get({ owner, repo, pull_number: 99 }))).status).toBe(404);
  });

  it.each([
    ['open by default', {}, [9, 8]],
    ['state=all', { state: 'all' as const }, [9, 8, 7]],
    ['state=closed', { state: 'closed' as const }, [7]],
    ['head owner:branch', { head: 'acme:feature', state: 'all' as const }, [8]],
    ['head of another owner', { head: 'fork:feature', state: 'all' as const }, []],
    ['base', { base: 'release', state: 'all' as const }, [9]],
  ])('lists pull requests filtered by %s', async (_name, filter, expected) => {
    seedMerged();
    server.state.addPull('acme/app', {
      number: 8,
      head: { ref: 'feature', sha: FEATURE },
      created_at: '2026-11-21T10:00:00Z',
    });
    server.state.addPull('acme/app', {
      number: 9,
      head: { ref: 'hotfix', sha: OTHER },
      base: { ref: 'release' },
      created_at: '2026-11-22T10:00:00Z',
    });
    const res = await gh.rest.pulls.list({ owner, repo, ...filter });
    expect(res.data.map((p) => p.number)).toEqual(expected);
  });

  it('creates a pull request from a seeded branch, numbered after existing issues', async () => {
    seedMerged();
    const res = await gh.rest.pulls.create({
      owner,
      repo,
      title: 'Promote',
      head: 'feature',
      base: 'main',
      body: 'Plan',
    });
    expect(res.status).toBe(201);
    expect(res.data).toMatchObject({
      number: 8,
      state: 'open',
      title: 'Promote',
      body: 'Plan',
      head: { ref: 'feature', sha: FEATURE },
      base: { ref: 'main', sha: MAIN },
      user: { login: 'ringmaster[bot]' },
      merged: false,
    });
    expect(res.headers.location).toBe(`${server.url}/repos/acme/app/pulls/8`);
  });

  it('refuses a second open pull request for the same head and base with GitHub message', async () => {
    await gh.rest.pulls.create({ owner, repo, title: 'One', head: 'acme:feature', base: 'main' });
    const failure = await rejection(
      gh.rest.pulls.create({ owner, repo, title: 'Two', head: 'feature', base: 'main' }),
    );
    expect(failure.status).toBe(422);
    expect(failure.response?.data).toEqual({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'PullRequest',
          code: 'custom',
          message: 'A pull request already exists for acme:feature.',
        },
      ],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
    });
  });

  it('allows a new pull request when the earlier one for that head is closed', async () => {
    server.state.addPull('acme/app', { number: 3, state: 'closed', head: { ref: 'feature', sha: FEATURE } });
    const res = await gh.rest.pulls.create({ owner, repo, title: 'Again', head: 'feature', base: 'main' });
    expect(res.data.number).toBe(4);
  });

  it.each([
    [
      'an unknown head branch',
      { head: 'nope', base: 'main' },
      [{ resource: 'PullRequest', code: 'invalid', field: 'head' }],
    ],
    [
      'an unknown base branch',
      { head: 'feature', base: 'nope' },
      [{ resource: 'PullRequest', code: 'invalid', field: 'base' }],
    ],
    [
      'a missing title',
      { title: '', head: 'feature', base: 'main' },
      [{ resource: 'PullRequest', code: 'missing_field', field: 'title' }],
    ],
    [
      'no commits between head and base',
      { head: 'main', base: 'main' },
      [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and main' }],
    ],
  ])('refuses %s with 422', async (_name, body, errors) => {
    const failure = await rejection(
      gh.request('POST /repos/{owner}/{repo}/pulls', { owner, repo, title: 'T', ...body }),
    );
    expect(failure.status).toBe(422);
    expect(failure.response?.data).toMatchObject({ message: 'Validation Failed', errors });
  });

  it('lists reviews in chronological order whatever the seeding order', async () => {
    seedMerged();
    server.state.addReview('acme/app', 7, {
      user: 'bob',
      state: 'APPROVED',
      submitted_at: '2026-11-20T09:00:00Z',
    });
    server.state.addReview('acme/app', 7, {
      user: 'carol',
      state: 'CHANGES_REQUESTED',
      submitted_at: '2026-11-20T08:00:00Z',
    });
    server.state.addReview('acme/app', 7, {
      user: 'carol',
      state: 'DISMISSED',
      submitted_at: '2026-11-20T09:30:00Z',
    });
    const res = await gh.rest.pulls.listReviews({ owner, repo, pull_number: 7 });
    expect(res.data.map((r) => [r.user?.login, r.state, r.submitted_at])).toEqual([
      ['carol', 'CHANGES_REQUESTED', '2026-11-20T08:00:00Z'],
      ['bob', 'APPROVED', '2026-11-20T09:00:00Z'],
      ['carol', 'DISMISSED', '2026-11-20T09:30:00Z'],
    ]);
    expect(res.data[0]?.commit_id).toBe(OTHER);
  });

  it('comments on and labels a pull request, and 404s for an unknown issue', async () => {
    seedMerged();
    const comment = await gh.rest.issues.createComment({ owner, repo, issue_number: 7, body: 'Ring 1 done' });
    expect(comment.status).toBe(201);
    expect(comment.data).toMatchObject({ body: 'Ring 1 done', user: { login: 'ringmaster[bot]' } });
    const labels = await gh.rest.issues.addLabels({
      owner,
      repo,
      issue_number: 7,
      labels: ['ringmaster', 'ring-1'],
    });
    expect(labels.data.map((l) => l.name)).toEqual(['ringmaster', 'ring-1']);
    const pull = await gh.rest.pulls.get({ owner, repo, pull_number: 7 });
    expect(pull.data.labels.map((l) => l.name)).toEqual(['ringmaster', 'ring-1']);
    expect(
      (await rejection(gh.rest.issues.createComment({ owner, repo, issue_number: 42, body: 'x' }))).status,
    ).toBe(404);
  });
});
