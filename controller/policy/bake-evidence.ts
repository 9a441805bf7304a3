/**
 * Evidence for the bake rule: since when has a release been healthy in a
 * ring? The controller says so itself: it writes `ringmaster/<ring>` with
 * state `success` on the commit whose transitions ran in that ring once every
 * group of the ring runs the release. So the evidence for release R in ring N
 * is the time that status turned `success` on the commit that promoted R into
 * ring N (found in the base branch's first-parent history).
 */
import type { SimpleGit } from 'simple-git';
import { parse } from 'yaml';
import { NotFoundError, PermanentError } from '../errors.js';
import type { GitHubClient, RepoRef } from '../github/client.js';
import { RING_SET_PATH } from '../model/layout.js';
import { GitHubStatusReporter } from '../status/github.js';
import { type RecordedStatus, type StatusReporter, ringContext } from '../status/reporter.js';

/** When a release turned healthy in a ring, and the commit whose status says so. */
export interface HealthySince {
  readonly since: Date;
  readonly commit: string;
}

/** Where the bake rule learns how long a release has been healthy in a ring. */
export interface BakeEvidence {
  /** Names where the evidence comes from, for messages: `GitHub acme/app`. */
  readonly source: string;
  /**
   * Since when `release` has been healthy in `ring` without interruption, or
   * undefined when nothing shows it healthy there (never promoted there, not
   * rolled out yet, or no longer healthy). Throws the source's own errors
   * when it cannot be read.
   */
  healthySince(ring: string, release: string): Promise<HealthySince | undefined>;
}

/** One thing the bake rule wants to know: has `release` been healthy in `ring`? */
export interface BakeQuestion {
  readonly ring: string;
  readonly release: string;
}

/** A question and its answer; `healthy` is absent when there was no evidence. */
export interface BakeLookup extends BakeQuestion {
  readonly healthy?: HealthySince;
}

/** Everything looked up for one check, and where: the data `evaluateChange` judges the bake rule on. */
export interface BakeEvidenceReport {
  readonly source: string;
  readonly lookups: readonly BakeLookup[];
}

/** Asks `evidence` each question in turn (one at a time, to be gentle on rate limits). */
export async function gatherBakeEvidence(
  evidence: BakeEvidence,
  questions: readonly BakeQuestion[],
): Promise<BakeEvidenceReport> {
  const lookups: BakeLookup[] = [];
  for (const q of questions) {
    const healthy = await evidence.healthySince(q.ring, q.release);
    lookups.push(healthy ? { ...q, healthy } : { ...q });
  }
  return { source: evidence.source, lookups };
}

/**
 * The most recent commit on the first-parent history of `base` at which ring
 * `ring` started running `release` (by groups/rings.yaml read with the yaml
 * library at each commit that changed it), or undefined when it never did.
 * Reads git only; stops at the first answer.
 */
export async function findPromotionCommit(
  git: SimpleGit,
  base: string,
  ring: string,
  release: string,
): Promise<string | undefined> {
  const log = await git.raw(['log', '--first-parent', '--format=%H', base, '--', RING_SET_PATH]);
  let found: string | undefined;
  for (const commit of log.split('\n').filter(Boolean)) {
    const runs = (await ringReleaseAt(git, commit, ring)) === release;
    // Newest first: the last of the run of commits where the ring runs `release` is where it started.
    if (runs) found = commit;
    else if (found) break;
  }
  return found;
}

/** The release ring `ring` runs in groups/rings.yaml at `commit`; undefined when the file is missing, unreadable or lacks the ring. */
async function ringReleaseAt(git: SimpleGit, commit: string, ring: string): Promise<string | undefined> {
  let data: unknown;
  try {
    data = parse(await git.show([`${commit}:${RING_SET_PATH}`]));
  } catch {
    return undefined;
  }
  const rings = (data as { rings?: unknown } | null)?.rings;
  if (!Array.isArray(rings)) return undefined;
  for (const r of rings as unknown[]) {
    const item = r as { name?: unknown; release?: unknown } | null;
    if (item?.name === ring && item.release !== undefined && item.release !== null)
      return String(item.release);
  }
  return undefined;
}

/**
 * When the status `context` last turned `success`: the earliest `success`
 * after the latest status of any other state, from `statuses` oldest first.
 * Contexts compare case-insensitively, as on GitHub. Undefined when the
 * latest status of the context is not `success`, or there is none.
 */
export function turnedSuccessAt(statuses: readonly RecordedStatus[], context: string): Date | undefined {
  let since: string | undefined;
  for (const s of statuses) {
    if (s.context.toLowerCase() !== context.toLowerCase()) continue;
    if (s.state !== 'success') since = undefined;
    else since ??= s.createdAt;
  }
  return since === undefined ? undefined : new Date(since);
}

/** What `StatusBakeEvidence` reads: git for the history, a status reporter for the ring statuses. */
export interface StatusBakeEvidenceOptions {
  readonly git: SimpleGit;
  /** The commit whose first-parent history is searched (the pull request's base). */
  readonly base: string;
  readonly statuses: Pick<StatusReporter, 'list'>;
  readonly source: string;
}

/**
 * Bake evidence from the controller's ring statuses, wherever they are kept:
 * finds the commit that promoted the release into the ring, then when its
 * `ringmaster/<ring>` status turned success. A commit the status store does
 * not know (GitHub answers 404 or 422) has no evidence.
 */
export class StatusBakeEvidence implements BakeEvidence {
  readonly source: string;

  constructor(private readonly options: StatusBakeEvidenceOptions) {
    this.source = options.source;
  }

  async healthySince(ring: string, release: string): Promise<HealthySince | undefined> {
    const { git, base, statuses } = this.options;
    const commit = await findPromotionCommit(git, base, ring, release);
    if (!commit) return undefined;
    let recorded: RecordedStatus[];
    try {
      recorded = await statuses.list(commit);
    } catch (err) {
      if (err instanceof NotFoundError || (err instanceof PermanentError && err.reason === 'StatusRejected'))
        return undefined;
      throw err;
    }
    const since = turnedSuccessAt(recorded, ringContext(ring));
    return since ? { since, commit } : undefined;
  }
}

/**
 * Bake evidence from GitHub: the statuses of the promoting commit are read
 * with GET /repos/{owner}/{repo}/commits/{sha}/statuses (every page). Needs a
 * token that can read commit statuses.
 */
export function createGitHubBakeEvidence(options: {
  git: SimpleGit;
  base: string;
  client: GitHubClient;
  repo: RepoRef;
}): BakeEvidence {
  return new StatusBakeEvidence({
    git: options.git,
    base: options.base,
    statuses: new GitHubStatusReporter(options.client, options.repo),
    source: `GitHub ${options.repo.owner}/${options.repo.repo}`,
  });
}
