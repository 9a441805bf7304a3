import { type GitHubServer, type GitHubServerOptions, startGitHubServer } from './github-server.js';
import { octokitFor, rejection } from './github-test-client.js';

const owner = 'acme';
const repo = 'app';

describe('local GitHub server: the repository endpoint and token kinds', () => {
  let server: GitHubServer;
  const start = async (options: GitHubServerOptions = {}) => {
    server = await startGitHubServer({ repos: ['acme/app'], ...options });
    return octokitFor(server);
  };
  afterEach(() => server.close());

  it.each([
    ['admin', { admin: true, maintain: true, push: true, triage: true, pull: true }],
    ['write', { admin: false, maintain: false, push: true, triage: true, pull: true }],
    ['triage', { admin: false, maintain: false, push: false, triage: true, pull: true }],
    ['read', { admin: false, maintain: false, push: false, triage: false, pull: true }],
  ] as const)('gives a %s account the permissions of its role', async (viewerRole, permissions) => {
    const gh = await start({ viewerRole });
    const { data } = await gh.rest.repos.get({ owner, repo });
    expect(data).toMatchObject({ full_name: 'acme/app', default_branch: 'main', permissions });
  });

  it('answers 404 for a repository it does not hold, and 401 for a wrong token', async () => {
    const gh = await start({ token: 'right' });
    expect(
      (await rejection(octokitFor(server, 'right').rest.repos.get({ owner, repo: 'other' }))).status,
    ).toBe(404);
    const refused = await rejection(gh.rest.repos.get({ owner, repo }));
    expect(refused).toMatchObject({ status: 401, message: expect.stringContaining('Bad credentials') });
  });

  it('names a classic token scopes on every answer, and none for other tokens', async () => {
    const classic = await start({ scopes: ['repo', 'read:org'] });
    expect((await classic.rest.repos.get({ owner, repo })).headers['x-oauth-scopes']).toBe('repo, read:org');
    await server.close();
    const fine = await start();
    expect((await fine.rest.repos.get({ owner, repo })).headers['x-oauth-scopes']).toBeUndefined();
  });

  it('refuses a denied endpoint with 403 and the permission it wanted', async () => {
    const gh = await start({ denied: [{ pattern: /\/pulls$/, permission: 'pull_requests=read' }] });
    const refused = await rejection(gh.rest.pulls.list({ owner, repo }));
    expect(refused).toMatchObject({
      status: 403,
      message: expect.stringContaining('Resource not accessible by personal access token'),
    });
    expect(refused.response?.headers['x-accepted-github-permissions']).toBe('pull_requests=read');
    expect((await gh.rest.repos.get({ owner, repo })).status).toBe(200);
  });
});
