/**
 * `run --github` checks the token once at start: a token GitHub refuses, or
 * one that may not do what the controller needs, stops it with exit 2 and a
 * message, before anything is read or applied.
 */
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { type GitHubServer, type GitHubServerOptions, startGitHubServer } from '../fakes/github-server.js';

const REPO = 'acme/rollout';

describe('run --github with a token GitHub does not take', () => {
  let repo: FixtureRepo;
  let state: string;
  let server: GitHubServer;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
  });
  afterEach(async () => {
    await server.close();
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const run = async (options: GitHubServerOptions, token: string) => {
    server = await startGitHubServer({ repos: [REPO], anyCommit: true, token: 'right-token', ...options });
    return runRingmaster(
      ['run', '--once', '--github', REPO, '--repo', repo.dir, '--state', state, '--sim-speed', '100000'],
      { env: { GITHUB_TOKEN: token, GITHUB_API_URL: server.url } },
    );
  };

  it.each([
    ['a wrong token', {}, 'wrong-token', /^ringmaster: GitHub refused GITHUB_TOKEN \(401 Bad credentials/],
    [
      'a classic token without the repo scope',
      { scopes: ['read:org'] },
      'right-token',
      /^ringmaster: GITHUB_TOKEN is a classic token with the scopes read:org; writing commit statuses on acme\/rollout needs the repo scope/,
    ],
  ] as const)('stops with exit 2 for %s, having applied nothing', async (_name, options, token, message) => {
    const result = await run({ ...options }, token);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.out).not.toMatch(/commit [0-9a-f]{12}:/);
    expect(server.log.filter((r) => r.method === 'POST')).toEqual([]);
    expect(result.err).not.toContain(token === 'wrong-token' ? 'wrong-token' : 'right-token');
  });

  it('goes on when the token is right', async () => {
    const result = await run({}, 'right-token');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(server.log[0]).toMatchObject({ method: 'GET', path: `/repos/${REPO}`, status: 200 });
  });
});
