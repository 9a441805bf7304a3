/**
 * How the approval check calls GitHub: one place that turns Octokit's failures
 * into our typed errors, naming the operation, the repository and the commit.
 */
import { ConfigurationError, TransientError } from '../errors.js';
import type { RepoRef } from './client.js';

/** What a call is about, for messages. */
export interface CallTarget {
  readonly repo: RepoRef;
  /** Full sha of the commit being judged. */
  readonly commit: string;
}

/**
 * Runs one GitHub call, turning its failure into our error (see `wrapGitHubError`);
 * `first` marks the call that would notice a wrong repository.
 */
export async function callGitHub<T>(
  target: CallTarget,
  op: string,
  first: boolean,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw wrapGitHubError(target, op, first, err);
  }
}

/**
 * GitHub's answer as one of our errors: ConfigurationError for a repository or commit
 * GitHub does not know (on the `first` call), a refused token or a forbidden read;
 * TransientError for anything else (unreachable, 5xx, rate limit after retries).
 */
export function wrapGitHubError(target: CallTarget, op: string, first: boolean, err: unknown): Error {
  const status = statusOf(err);
  const where = `${op} failed for ${target.repo.owner}/${target.repo.repo} (commit ${target.commit.slice(0, 7)})`;
  const message = err instanceof Error ? err.message : String(err);
  const config = (reason: string, what: string) =>
    new ConfigurationError(reason, `${where}: ${what}`, { cause: err });
  const check =
    'check that --github names the repository the controller follows and that the token can read it';
  if (status === 404 && first) return config('GitHubRepositoryNotFound', `GitHub answered 404; ${check}`);
  if (status === 422 && first)
    return config('CommitNotOnGitHub', `GitHub does not know the commit; ${check}`);
  if (status === 401) return config('GitHubBadCredentials', 'GitHub refused the token; check GITHUB_TOKEN');
  // A 403 that names a rate limit comes after the throttling plugin gave up: wait, do not reconfigure.
  if (status === 403 && !/rate limit/i.test(message))
    return config(
      'GitHubForbidden',
      `${message}; the token needs read access to pull requests and to collaborators' permissions (a classic token: push access) and, for team reviewers, to organization members`,
    );
  return new TransientError('GitHubUnavailable', `${where}: ${message}; trying again on the next tick`, {
    cause: err,
  });
}

/** The HTTP status of an Octokit error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
