/**
 * Evidence for the bake rule: since when has a release been healthy in a
 * ring? The controller says so itself: it writes `ringmaster/<ring>` with
 * state `success` on the commit whose transitions ran in that ring once every
 * group of the ring runs the release. So the evidence for release R in ring N
 * is the time that status turned `success` on the commit that promoted R into
 * ring N (found in the base branch's first-parent history).
 *
 * Pure: the history and the statuses are read through ports (`RingHistory`,
 * a StatusReporter's `list`); the adapters are source/ring-history.ts and
 * github/bake-evidence.ts, built by cli/.
 */
import { NotFoundError, PermanentError } from '../errors.js';
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

/** Where the bake rule learns which commit promoted a release into a ring. */
export interface RingHistory {
  /**
   * The most recent commit on the first-parent history of `base` at which
   * ring `ring` started running `release`, or undefined when it never did.
   * Throws the history's own errors when it cannot be read.
   */
  promotionCommit(base: string, ring: string, release: string): Promise<string | undefined>;
}

/** What `StatusBakeEvidence` reads: the ring set's history, a status reporter for the ring statuses. */
export interface StatusBakeEvidenceOptions {
  readonly history: RingHistory;
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
    const { history, base, statuses } = this.options;
    const commit = await history.promotionCommit(base, ring, release);
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
