/**
 * The GitHub side of the controller, built from `--github OWNER/REPO`,
 * GITHUB_TOKEN and GITHUB_API_URL: the client, the repository, and the cache
 * of approval verdicts. Absent without --github: statuses then go to git notes
 * and every commit of the branch is trusted.
 */
import type { Logger } from 'pino';
import { ConfigurationError } from '../errors.js';
import { ApprovalCache } from '../github/approvals.js';
import { type GitHubClient, type RepoRef, createGitHubClient, parseRepoRef } from '../github/client.js';
import type { CliContext } from './context.js';

export interface GitHubParts {
  readonly client: GitHubClient;
  readonly repo: RepoRef;
  readonly approvals: ApprovalCache;
}

/** What a token needs, for messages. */
export const TOKEN_SCOPES =
  'a fine-grained token with Commit statuses: write, Pull requests: write, Contents: write and Members: read (or a classic token with repo and read:org)';

/** Builds the GitHub parts for `github` (OWNER/REPO). Throws ConfigurationError without a token. */
export function openGitHub(
  ctx: CliContext,
  github: string | undefined,
  log: Logger,
): GitHubParts | undefined {
  if (github === undefined) return undefined;
  const repo = parseRepoRef(github);
  const token = ctx.env.githubToken;
  if (!token)
    throw new ConfigurationError(
      'MissingGitHubToken',
      `--github ${github} needs GITHUB_TOKEN in the environment: ${TOKEN_SCOPES}`,
    );
  const client = createGitHubClient({ token, baseUrl: ctx.env.githubApiUrl, log });
  return { client, repo, approvals: new ApprovalCache() };
}
