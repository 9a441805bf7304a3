import { pino } from 'pino';
import { ConfigurationError, TransientError } from '../../controller/errors.js';
import { checkGitHubAccess } from '../../controller/github/access.js';
import { createGitHubClient } from '../../controller/github/client.js';
import { type GitHubServer, type GitHubServerOptions, startGitHubServer } from '../fakes/github-server.js';

const REPO = { owner: 'acme', repo: 'rollout' };
const NEEDS = { statuses: true, pullRequests: true };

describe('checkGitHubAccess', () => {
  let server: GitHubServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const check = async (options: GitHubServerOptions, token = 'test-token', repo = REPO) => {
    server = await startGitHubServer({ repos: ['acme/rollout'], token: 'test-token', ...options });
    const client = createGitHubClient({ token, baseUrl: server.url, log: pino({ enabled: false }) });
    return checkGitHubAccess(client, repo, NEEDS);
  };

  it.each([
    ['a fine-grained token of a writer', { viewerRole: 'write' }, { token: 'fine-grained' }],
    [
      'a classic token with repo',
      { scopes: ['repo', 'read:org'] },
      { token: 'classic', scopes: ['repo', 'read:org'] },
    ],
    [
      'a classic token with repo:status',
      { scopes: ['repo:status'] },
      { token: 'classic', scopes: ['repo:status'] },
    ],
  ] as const)('accepts %s', async (_name, options, report) => {
    await expect(check({ ...options })).resolves.toEqual(report);
  });

  it.each([
    [
      'a wrong token',
      {},
      'wrong',
      REPO,
      'GitHubBadCredentials',
      /^GitHub refused GITHUB_TOKEN \(401 Bad credentials/,
    ],
    [
      'a repository the token cannot see',
      {},
      'test-token',
      { owner: 'acme', repo: 'other' },
      'GitHubRepositoryNotFound',
      /^GitHub has no repository acme\/other that GITHUB_TOKEN can see \(404 on GET \/repos\/\{owner\}\/\{repo\}\); check --github/,
    ],
    [
      'a classic token without the repo scope',
      { scopes: ['read:org'] },
      'test-token',
      REPO,
      'GitHubTokenScope',
      /classic token with the scopes read:org; writing commit statuses on acme\/rollout needs the repo scope \(or repo:status\)/,
    ],
    [
      'an account that may only read',
      { viewerRole: 'read' },
      'test-token',
      REPO,
      'GitHubNoWriteAccess',
      /read access only to acme\/rollout; commit statuses need write access/,
    ],
    [
      'a fine-grained token without Pull requests: read',
      { denied: [{ pattern: /\/pulls$/, permission: 'pull_requests=read' }] },
      'test-token',
      REPO,
      'GitHubForbidden',
      /refused GET \/repos\/\{owner\}\/\{repo\}\/pulls on acme\/rollout \(403 Resource not accessible by personal access token.*\); the token needs the permission pull_requests=read$/,
    ],
  ] as const)(
    'refuses %s with a ConfigurationError that says what to grant',
    async (_n, options, token, repo, reason, message) => {
      const error = await check({ ...options }, token, repo).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error).toMatchObject({ reason, message: expect.stringMatching(message) });
      expect((error as Error).message).not.toContain('test-token');
    },
  );

  it('is transient when GitHub cannot be reached', async () => {
    server = await startGitHubServer({ repos: ['acme/rollout'] });
    const url = server.url;
    await server.close();
    server = undefined;
    const client = createGitHubClient({ token: 't', baseUrl: url, log: pino({ enabled: false }) });
    await expect(checkGitHubAccess(client, REPO, NEEDS)).rejects.toBeInstanceOf(TransientError);
  });
});
