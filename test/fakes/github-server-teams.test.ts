import type { Octokit } from '@octokit/rest';
import { type GitHubServer, startGitHubServer } from './github-server.js';
import { octokitFor, rejection, sha } from './github-test-client.js';

const owner = 'acme';
const repo = 'app';
const HEAD = sha('head');

describe('local GitHub server: pull request commits and team memberships', () => {
  let server: GitHubServer;
  let gh: Octokit;

  beforeEach(async () => {
    server = await startGitHubServer({ repos: ['acme/app'] });
    gh = octokitFor(server);
  });
  afterEach(() => server.close());

  it('lists the commits of a pull request oldest first, head last, paged', async () => {
    const commits = [sha('one'), sha('two')];
    server.state.addPull('acme/app', { number: 3, head: { ref: 'feature', sha: HEAD }, commits });
    const all = await gh.paginate(gh.rest.pulls.listCommits, { owner, repo, pull_number: 3, per_page: 2 });
    expect(all.map((c) => c.sha)).toEqual([...commits, HEAD]);
    expect(all[2]).toMatchObject({ html_url: `https://github.com/acme/app/commit/${HEAD}` });
    expect(server.log.map((r) => r.query.page)).toEqual([undefined, '2']);
  });

  it('caps the commits of a pull request at 250, like GitHub', async () => {
    const commits = Array.from({ length: 300 }, (_, i) => sha(`c${i}`));
    server.state.addPull('acme/app', { number: 4, head: { ref: 'big', sha: HEAD }, commits });
    const all = await gh.paginate(gh.rest.pulls.listCommits, { owner, repo, pull_number: 4, per_page: 100 });
    expect(all).toHaveLength(250);
  });

  it('answers 404 for the commits of an unknown pull request', async () => {
    expect((await rejection(gh.rest.pulls.listCommits({ owner, repo, pull_number: 99 }))).status).toBe(404);
  });

  it('answers a team membership with its state, case-insensitively, and 404 without one', async () => {
    server.state.addTeamMember('acme', 'sre', 'alice');
    server.state.addTeamMember('acme', 'sre', 'erin', 'pending');
    const get = (username: string, team_slug = 'sre') =>
      gh.rest.teams.getMembershipForUserInOrg({ org: 'Acme', team_slug, username });
    expect((await get('Alice')).data).toEqual({
      url: `${server.url}/orgs/Acme/teams/sre/memberships/Alice`,
      role: 'member',
      state: 'active',
    });
    expect((await get('erin')).data.state).toBe('pending');
    expect((await rejection(get('dave'))).status).toBe(404);
    expect((await rejection(get('alice', 'release-team'))).status).toBe(404);
  });
});
