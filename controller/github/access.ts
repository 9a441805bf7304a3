/**
 * The check `run --github` makes once at start: the token is accepted, the
 * repository is there for it, and the token may do what the controller will
 * ask of it. A wrong token must stop the controller with a message at once,
 * not leave it running in silence while every status and approval check
 * fails in the log.
 *
 * What GitHub tells (docs.github.com, "Scopes for OAuth apps" and "Troubleshooting
 * the REST API"): a classic token's scopes come in the `x-oauth-scopes` header of
 * every answer; fine-grained tokens and GitHub Apps send no such header, and an
 * endpoint they may not use answers 403 "Resource not accessible by ..." with the
 * permission it wanted in `x-accepted-github-permissions`. The repository's
 * `permissions` object is the account's role, so `push: false` there means no
 * token of that account can write statuses.
 */
import { ConfigurationError, TransientError } from '../errors.js';
import type { GitHubClient, RepoRef } from './client.js';

/** What the token will be asked to do. */
export interface AccessNeeds {
  /** Write commit statuses (`run`). */
  readonly statuses: boolean;
  /** Read pull requests and their reviews (judging approvals). */
  readonly pullRequests: boolean;
}

/** What a successful check learnt. */
export interface AccessReport {
  /** `classic` when GitHub named the token's scopes; `fine-grained` covers fine-grained tokens and Apps. */
  readonly token: 'classic' | 'fine-grained';
  readonly scopes?: readonly string[];
}

/** Scopes of a classic token that allow writing commit statuses. */
const STATUS_SCOPES = ['repo', 'repo:status'];

/**
 * Asks GitHub for `repo` (and, when pull requests are needed, one page of
 * them) and judges the answers. Throws ConfigurationError naming what is
 * wrong and the permission to grant: a refused token (401), a repository the
 * token cannot see (404), a permission missing (403, or a classic token
 * without the scope, or an account without write access). Throws
 * TransientError when GitHub cannot be reached or answers 5xx.
 */
export async function checkGitHubAccess(
  client: GitHubClient,
  repo: RepoRef,
  needs: AccessNeeds,
): Promise<AccessReport> {
  const name = `${repo.owner}/${repo.repo}`;
  const answer = await ask(name, 'GET /repos/{owner}/{repo}', () => client.rest.repos.get({ ...repo }));
  const scopesHeader = answer.headers['x-oauth-scopes'];
  const scopes =
    typeof scopesHeader === 'string'
      ? scopesHeader
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  if (needs.statuses && scopes && !scopes.some((s) => STATUS_SCOPES.includes(s))) {
    throw new ConfigurationError(
      'GitHubTokenScope',
      `GITHUB_TOKEN is a classic token with the scopes ${scopes.join(', ') || '(none)'}; writing commit statuses on ${name} ` +
        'needs the repo scope (or repo:status). Add the scope, or use a fine-grained token with Commit statuses: read and write',
    );
  }
  const role = answer.data.permissions;
  if (needs.statuses && role && !role.admin && !role.maintain && !role.push) {
    throw new ConfigurationError(
      'GitHubNoWriteAccess',
      `The account of GITHUB_TOKEN has read access only to ${name}; commit statuses need write access. ` +
        'Give the account (or the GitHub App) write access to the repository',
    );
  }
  if (needs.pullRequests) {
    await ask(name, 'GET /repos/{owner}/{repo}/pulls', () =>
      client.rest.pulls.list({ ...repo, state: 'closed', per_page: 1 }),
    );
  }
  return scopes ? { token: 'classic', scopes } : { token: 'fine-grained' };
}

/** One request, with GitHub's refusals turned into our errors. */
async function ask<T>(name: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw accessError(name, what, err);
  }
}

function accessError(name: string, what: string, err: unknown): Error {
  const e = err as { status?: unknown; message?: unknown; response?: { headers?: Record<string, unknown> } };
  const status = typeof e.status === 'number' ? e.status : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const wanted = e.response?.headers?.['x-accepted-github-permissions'];
  if (status === 401)
    return new ConfigurationError(
      'GitHubBadCredentials',
      `GitHub refused GITHUB_TOKEN (401 ${message}) asking for ${name}; set a valid token (see "Token" in the README)`,
      { cause: err },
    );
  if (status === 404)
    return new ConfigurationError(
      'GitHubRepositoryNotFound',
      `GitHub has no repository ${name} that GITHUB_TOKEN can see (404 on ${what}); check --github, ` +
        'and give the token access to the repository (a fine-grained token lists it under Repository access; ' +
        'a classic token needs the repo scope for a private repository)',
      { cause: err },
    );
  if (status === 403 && !/rate limit/i.test(message))
    return new ConfigurationError(
      'GitHubForbidden',
      `GitHub refused ${what} on ${name} (403 ${message}); the token needs ` +
        `${typeof wanted === 'string' && wanted ? `the permission ${wanted}` : 'Pull requests: read and Commit statuses: read and write'}`,
      { cause: err },
    );
  return new TransientError('GitHubUnavailable', `Checking GITHUB_TOKEN on ${name} failed: ${message}`, {
    cause: err,
  });
}
