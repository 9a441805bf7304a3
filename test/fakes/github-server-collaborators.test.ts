import type { Octokit } from '@octokit/rest';
import { type GitHubServer, startGitHubServer } from './github-server.js';
import { octokitFor, rejection, sha } from './github-test-client.js';

const owner = 'acme';
const repo = 'app';
const HEAD = sha('head');
const FIRST = sha('first');

describe('local GitHub server: collaborator permissions and commit accounts', () => {
  let server: GitHubServer;
  let gh: Octokit;

  beforeEach(async () => {
    server = await startGitHubServer({ repos: ['acme/app'] });
    gh = octokitFor(server);
  });
  afterEach(() => server.close());

  const permission = (username: string) =>
    gh.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });

  it.each([
    ['admin', 'admin', 'admin'],
    ['maintain', 'write', 'maintain'],
    ['write', 'write', 'write'],
    ['triage', 'read', 'triage'],
    ['read', 'read', 'read'],
  ] as const)('answers the role %s as permission %s with role_name %s', async (role, legacy, name) => {
    server.state.setRole('acme/app', 'alice', role);
    const { data } = await permission('alice');
    expect(data).toMatchObject({ permission: legacy, role_name: name, user: { login: 'alice' } });
  });

  it('answers a custom role with the permission of the base role it inherits, case-insensitively', async () => {
    server.state.setRole('acme/app', 'Bob', { name: 'deployer', base: 'maintain' });
    const { data } = await permission('bob');
    expect(data).toMatchObject({ permission: 'write', role_name: 'deployer', user: { login: 'bob' } });
  });

  it('answers none for an account without a role, 404 for a login that names no account or an unknown repository', async () => {
    expect((await permission('dave')).data).toMatchObject({ permission: 'none', user: { login: 'dave' } });
    server.state.deleteAccount('ghost');
    expect((await rejection(permission('ghost'))).status).toBe(404);
    const unknownRepo = gh.rest.repos.getCollaboratorPermissionLevel({
      owner,
      repo: 'nope',
      username: 'dave',
    });
    expect((await rejection(unknownRepo)).status).toBe(404);
  });

  it('names the seeded author and committer accounts of pull request commits, null where none is linked', async () => {
    server.state.addPull('acme/app', { number: 3, head: { ref: 'feature', sha: HEAD }, commits: [FIRST] });
    server.state.setCommitAccounts('acme/app', HEAD, { author: 'alice', committer: 'web-flow' });
    const commits = await gh.paginate(gh.rest.pulls.listCommits, { owner, repo, pull_number: 3 });
    expect(commits.map((c) => [c.sha, c.author?.login ?? null, c.committer?.login ?? null])).toEqual([
      [FIRST, null, null],
      [HEAD, 'alice', 'web-flow'],
    ]);
  });
});
