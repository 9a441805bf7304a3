/**
 * The one way Ringmaster talks to GitHub: an Octokit client for github.com or
 * GitHub Enterprise (GITHUB_API_URL), authenticated by GITHUB_TOKEN, that
 * honours GitHub's limits through @octokit/plugin-throttling: writes are
 * spaced out, a primary limit waits for its reset, a secondary limit for its
 * retry-after, each retried a few times before the error reaches the caller.
 * Octokit's own logging goes to pino (never to the console, never the token).
 */
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import { ConfigurationError } from '../errors.js';

/** A repository on GitHub. */
export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

/** What a GitHub client needs. */
export interface GitHubClientOptions {
  readonly token: string;
  /** The REST API's base URL: https://api.github.com, or GitHub Enterprise's `https://HOST/api/v3`. */
  readonly baseUrl?: string;
  readonly log: Logger;
  /** How many times a request refused by a rate limit is tried again before it fails. Default 3. */
  readonly limitRetries?: number;
  /** Milliseconds per second of `retry-after` (1000; tests make waits short). */
  readonly retryAfterBaseValue?: number;
}

/** The Octokit class Ringmaster uses: REST plus throttling. */
export const RingmasterOctokit = Octokit.plugin(throttling);
export type GitHubClient = InstanceType<typeof RingmasterOctokit>;

/** Parses `OWNER/REPO`. Throws ConfigurationError naming the flag when it is not one. */
export function parseRepoRef(text: string, flag = '--github'): RepoRef {
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(text);
  if (!match || match[2] === '.' || match[2] === '..')
    throw new ConfigurationError(
      'BadRepository',
      `${flag} must be OWNER/REPO, for example acme/ringmaster; got "${text}"`,
    );
  return { owner: match[1]!, repo: match[2]! };
}

/** Builds the client. The token is only handed to Octokit, which sends it as a header and never logs it. */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const retries = options.limitRetries ?? 3;
  const log = options.log.child({ component: 'github' });
  return new RingmasterOctokit({
    auth: options.token,
    baseUrl: options.baseUrl ?? 'https://api.github.com',
    userAgent: 'ringmaster',
    log: {
      debug: (message: string) => log.debug(message),
      info: (message: string) => log.debug(message),
      warn: (message: string) => log.warn(message),
      error: (message: string) => log.debug(message),
    },
    throttle: {
      retryAfterBaseValue: options.retryAfterBaseValue ?? 1000,
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log.warn(
          { method: request.method, url: request.url, retryAfter, retryCount },
          'GitHub rate limit reached; waiting for its reset',
        );
        return retryCount < retries;
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log.warn(
          { method: request.method, url: request.url, retryAfter, retryCount },
          'GitHub secondary rate limit reached; backing off',
        );
        return retryCount < retries;
      },
    },
  });
}
