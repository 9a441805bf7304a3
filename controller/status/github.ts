/**
 * The GitHub StatusReporter: commit statuses through the REST API
 * (`POST /repos/{owner}/{repo}/statuses/{sha}`), with the least traffic that
 * keeps them right. What each commit holds is read once (every page of
 * `GET .../commits/{ref}/statuses`) and then kept in memory, updated by our own
 * writes, so deciding "unchanged" and counting towards GitHub's 1000 statuses
 * per commit and context cost no request. Flux's notification-controller lists
 * statuses before every post instead; that GET per event is its open
 * rate-limit issue.
 */
import pLimit from 'p-limit';
import { type Logger, pino } from 'pino';
import type { GitHubClient, RepoRef } from '../github/client.js';
import {
  ConfigurationError,
  NotFoundError,
  PermanentError,
  type RingmasterError,
  TransientError,
  isRingmasterError,
} from '../errors.js';
import {
  COMMIT_STATES,
  type CommitState,
  type CommitStatus,
  MAX_STATUSES_PER_CONTEXT,
  type RecordedStatus,
  type StatusReporter,
  latestByContext,
  validateStatus,
} from './reporter.js';

/** How many commits' statuses are kept in memory by default. */
export const DEFAULT_CACHED_COMMITS = 200;

/** Options of a GitHubStatusReporter; every one has a default. */
export interface GitHubStatusReporterOptions {
  /** Statuses allowed per commit and context before `report` refuses; default MAX_STATUSES_PER_CONTEXT (1000, GitHub's limit). */
  readonly maxStatusesPerContext?: number;
  /** Commits whose statuses are kept in memory, least recently used forgotten first; default 200. */
  readonly maxCachedCommits?: number;
  /** Where each write or skip is logged at debug level; default silent. */
  readonly log?: Logger;
}

/** What is known of one context of one commit: its latest status and how many it holds. */
interface ContextRecord {
  state: string;
  description: string;
  count: number;
}

/** The contexts of one commit, keyed by lower-cased context (GitHub compares them case-insensitively). */
type CommitRecord = Map<string, ContextRecord>;

/** The fields of a GitHub status we use. */
interface GitHubStatus {
  readonly state: string;
  readonly context: string;
  readonly description?: string | null;
  readonly target_url?: string | null;
  readonly created_at: string;
}

/**
 * A StatusReporter over the commit statuses of one GitHub repository.
 *
 * - `report(commit, status)`: `commit` is a full sha. Validates the status
 *   (ConfigurationError), then, one report at a time: reads the commit's
 *   statuses unless they are in memory, returns false when the context's
 *   latest status has the same state and description, refuses the status that
 *   would exceed `maxStatusesPerContext` (PermanentError StatusLimitReached,
 *   without calling GitHub), else posts it (`targetUrl` as `target_url`) and
 *   returns true.
 * - GitHub errors are wrapped: 422 is PermanentError StatusRejected with
 *   GitHub's message; 5xx and network failures TransientError
 *   GitHubUnavailable; a rate limit still refusing after the client's retries
 *   TransientError GitHubRateLimited; 401 and 403 ConfigurationError; 404
 *   NotFoundError. After a failed write the commit is forgotten, so the next
 *   report reads what GitHub really holds.
 * - `list` and `latest` always read GitHub, oldest first.
 * - Statuses written by others after a commit was read are not seen until it
 *   is forgotten (least recently used beyond `maxCachedCommits`).
 */
export class GitHubStatusReporter implements StatusReporter {
  private readonly maxPerContext: number;
  private readonly maxCommits: number;
  private readonly log: Logger;
  private readonly commits = new Map<string, CommitRecord>();
  private readonly serial = pLimit(1);

  constructor(
    private readonly client: GitHubClient,
    private readonly repo: RepoRef,
    options: GitHubStatusReporterOptions = {},
  ) {
    this.maxPerContext = options.maxStatusesPerContext ?? MAX_STATUSES_PER_CONTEXT;
    this.maxCommits = options.maxCachedCommits ?? DEFAULT_CACHED_COMMITS;
    this.log = options.log ?? pino({ enabled: false });
  }

  async report(commit: string, status: CommitStatus): Promise<boolean> {
    validateStatus(status);
    // The whole decision is serialised with the writes: two reports of one status must not both post it.
    return this.serial(() => this.reportOnce(commit, status));
  }

  async list(commit: string): Promise<RecordedStatus[]> {
    const statuses = await this.fetchStatuses(commit);
    return statuses.flatMap((s) => (isCommitState(s.state) ? [toRecorded(s, s.state)] : [])).reverse();
  }

  async latest(commit: string): Promise<Map<string, RecordedStatus>> {
    return latestByContext(await this.list(commit));
  }

  private async reportOnce(commit: string, status: CommitStatus): Promise<boolean> {
    const record = await this.getRecord(commit);
    const key = status.context.toLowerCase();
    const known = record.get(key);
    const log = this.log.child({ commit, context: status.context, state: status.state });
    if (known && known.state === status.state && known.description === status.description) {
      log.debug('Commit status unchanged; not written');
      return false;
    }
    const count = known?.count ?? 0;
    if (count >= this.maxPerContext)
      throw new PermanentError(
        'StatusLimitReached',
        `Commit ${commit} in ${this.repoName()} already has ${count} statuses for context "${status.context}", the most GitHub keeps per commit and context (${this.maxPerContext}); no more can be added there, report on a newer commit.`,
      );
    await this.post(commit, status);
    record.set(key, { state: status.state, description: status.description, count: count + 1 });
    log.debug('Commit status written');
    return true;
  }

  private async post(commit: string, status: CommitStatus): Promise<void> {
    try {
      await this.client.rest.repos.createCommitStatus({
        ...this.repo,
        sha: commit,
        state: status.state,
        context: status.context,
        description: status.description,
        ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
      });
    } catch (err) {
      // The write may or may not have landed; read the truth next time.
      this.commits.delete(commit);
      throw wrapGitHubError(
        err,
        `Writing status "${status.context}" on commit ${commit} in ${this.repoName()}`,
      );
    }
  }

  /** The commit's record, read from GitHub when not in memory; marks it most recently used. */
  private async getRecord(commit: string): Promise<CommitRecord> {
    let record = this.commits.get(commit);
    if (record) {
      this.commits.delete(commit);
    } else {
      record = new Map();
      // Newest first: the first status seen of a context is its latest.
      for (const s of await this.fetchStatuses(commit)) {
        const key = s.context.toLowerCase();
        const known = record.get(key);
        if (known) known.count++;
        else record.set(key, { state: s.state, description: s.description ?? '', count: 1 });
      }
    }
    this.commits.set(commit, record);
    for (const oldest of this.commits.keys()) {
      if (this.commits.size <= this.maxCommits) break;
      this.commits.delete(oldest);
    }
    return record;
  }

  /** Every status of the commit as GitHub lists it, newest first. */
  private async fetchStatuses(commit: string): Promise<GitHubStatus[]> {
    try {
      return await this.client.paginate('GET /repos/{owner}/{repo}/commits/{ref}/statuses', {
        ...this.repo,
        ref: commit,
        per_page: 100,
      });
    } catch (err) {
      throw wrapGitHubError(err, `Reading the statuses of commit ${commit} in ${this.repoName()}`);
    }
  }

  private repoName(): string {
    return `${this.repo.owner}/${this.repo.repo}`;
  }
}

function isCommitState(state: string): state is CommitState {
  return (COMMIT_STATES as readonly string[]).includes(state);
}

function toRecorded(s: GitHubStatus, state: CommitState): RecordedStatus {
  return {
    state,
    context: s.context,
    description: s.description ?? '',
    ...(s.target_url ? { targetUrl: s.target_url } : {}),
    createdAt: new Date(s.created_at).toISOString(),
  };
}

/** What an Octokit RequestError carries that we look at. */
interface HttpFailure {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

function isHttpFailure(err: unknown): err is HttpFailure {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/**
 * Our error for a failed GitHub request; `action` names the operation and the
 * target. Octokit reports a network failure as status 500. The message carries
 * GitHub's answer, never a header (so never the token).
 */
export function wrapGitHubError(err: unknown, action: string): RingmasterError {
  if (isRingmasterError(err)) return err;
  const cause = { cause: err };
  if (!isHttpFailure(err))
    return new TransientError('GitHubUnavailable', `${action} failed: ${String(err)}`, cause);
  const { status, message } = err;
  const said = `GitHub answered ${status}: ${message}`;
  if (status === 422) return new PermanentError('StatusRejected', `${action} failed: ${said}`, cause);
  if (status >= 500) return new TransientError('GitHubUnavailable', `${action} failed: ${said}`, cause);
  if ((status === 403 || status === 429) && isRateLimit(err))
    return new TransientError(
      'GitHubRateLimited',
      `${action} failed: GitHub's rate limit still refused it after the client's retries (${said}); it is tried again later.`,
      cause,
    );
  if (status === 401)
    return new ConfigurationError(
      'GitHubUnauthorized',
      `${action} failed: ${said}. Check that GITHUB_TOKEN is set and still valid.`,
      cause,
    );
  if (status === 403)
    return new ConfigurationError(
      'GitHubForbidden',
      `${action} failed: ${said}. The token needs push access, the repo:status scope, or a GitHub App with "Commit statuses: write".`,
      cause,
    );
  if (status === 404)
    return new NotFoundError(
      'GitHubNotFound',
      `${action} failed: ${said}. Check the repository name, and that the token can see it.`,
      cause,
    );
  return new PermanentError('GitHubRequestFailed', `${action} failed: ${said}`, cause);
}

function isRateLimit(err: HttpFailure): boolean {
  const headers = err.response?.headers ?? {};
  return (
    /\brate limit\b/i.test(err.message) ||
    String(headers['x-ratelimit-remaining']) === '0' ||
    headers['retry-after'] !== undefined
  );
}
