/**
 * What the commands that open pull requests share (promote, approve): the
 * token, the repository on GitHub, the base branch as the remote has it, and
 * a logger for Octokit's warnings.
 */
import type { Logger } from 'pino';
import type { SimpleGit } from 'simple-git';
import { ConfigurationError } from '../errors.js';
import { createLogger } from '../log.js';
import { type RepoRef, parseRepoRef } from '../github/client.js';
import { fetchBranch } from '../github/pull-request.js';
import { resolveCommit } from '../source/git-source.js';
import type { CliContext } from './context.js';

/** The flags that say where a pull request goes. */
export interface PullRequestTarget {
  readonly repo: string;
  readonly branch: string;
  readonly remote: string;
  readonly github?: string;
  readonly dryRun?: boolean;
}

/** The base commit a pull request starts from, and how to name it. */
export interface Base {
  readonly sha: string;
  readonly label: string;
}

/** What the token must be allowed to do, for the message when it is missing. */
export const PR_TOKEN_SCOPES =
  'a classic token with the repo scope, or a fine-grained token or GitHub App with Contents: write and Pull requests: write';

/** GITHUB_TOKEN, or a ConfigurationError that names it and what it must allow. */
export function requireToken(ctx: CliContext, what: string): string {
  if (ctx.env.githubToken) return ctx.env.githubToken;
  throw new ConfigurationError(
    'MissingToken',
    `GITHUB_TOKEN is not set; ${what} opens a pull request and needs ${PR_TOKEN_SCOPES}. ` +
      'Set GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise), or pass --dry-run to only print the pull request',
  );
}

/** --github, else OWNER/REPO read from the remote's URL when it names a host. */
export async function gitHubRepo(git: SimpleGit, opts: PullRequestTarget): Promise<RepoRef> {
  if (opts.github) return parseRepoRef(opts.github);
  const url = (await remoteNames(git)).includes(opts.remote)
    ? (await git.remote(['get-url', opts.remote]))?.trim()
    : undefined;
  // https://host/OWNER/REPO(.git), ssh://git@host/OWNER/REPO, git@host:OWNER/REPO; never a local path.
  const match = url && /^(?:[a-z+]+:\/\/[^/]+\/|[^/@:]+@[^/:]+:)([^/]+)\/([^/]+?)(?:\.git)?\/?$/i.exec(url);
  if (match) return parseRepoRef(`${match[1]}/${match[2]}`, `the URL of remote ${opts.remote}`);
  throw new ConfigurationError(
    'NoGitHubRepository',
    `cannot tell the GitHub repository from remote ${opts.remote}; pass --github OWNER/REPO`,
  );
}

/**
 * The base branch's head: fetched from the remote into `<remote>/<branch>`;
 * in a dry run without that remote, the local branch.
 */
export async function readBase(git: SimpleGit, opts: PullRequestTarget): Promise<Base> {
  if ((await remoteNames(git)).includes(opts.remote)) {
    const sha = await fetchBranch(git, opts.remote, opts.branch);
    return { sha, label: `${opts.remote}/${opts.branch} (commit ${sha.slice(0, 12)})` };
  }
  if (!opts.dryRun)
    throw new ConfigurationError(
      'NoRemote',
      `${opts.repo} has no remote named ${opts.remote}; add it (git remote add ${opts.remote} URL) or pass --remote NAME`,
    );
  const sha = await resolveCommit(git, `refs/heads/${opts.branch}`);
  return { sha, label: `${opts.branch} (commit ${sha.slice(0, 12)})` };
}

export async function remoteNames(git: SimpleGit): Promise<string[]> {
  return (await git.getRemotes()).map((r) => r.name);
}

/** Octokit's warnings (rate limits) as JSON lines on stderr; tokens redacted. */
export function cliLogger(ctx: CliContext): Logger {
  return createLogger({ level: 'warn' }, { write: (line: string) => ctx.io.err(line.trimEnd()) });
}
