/**
 * Evidence for the rehearsal rule: has the same tenant move (same tenant,
 * same groups) succeeded in the sandbox constellation? The sandbox's
 * controller says so itself: once a move is applied it writes
 * `ringmaster/move/<tenant>/<from>/<to>` with state `success` on the commit
 * that asked for it (engine/ring-statuses.ts). That commit changed the file of
 * the group the tenant joined, so the evidence is looked for on the commits of
 * the sandbox branch that changed it, newest first.
 *
 * Pure: the branch's history and the statuses are read through ports
 * (`MoveHistory`, a StatusReporter's `list`); the adapters are
 * source/move-history.ts and status/github.ts, built by cli/check.ts.
 */
import { NotFoundError, PermanentError } from '../errors.js';
import type { TenantMove } from '../plan/tenant-moves.js';
import { type RecordedStatus, type StatusReporter, moveContext } from '../status/reporter.js';
import { turnedSuccessAt } from './bake-evidence.js';

/** How many commits of the sandbox branch that changed the joining group's file are searched. */
export const REHEARSAL_SEARCH_DEPTH = 20;

/** One move the rule asks about. */
export type RehearsalQuestion = Pick<TenantMove, 'tenant' | 'from' | 'to'>;

/** Where the sandbox moved the tenant, and when the move's status turned success. */
export interface Rehearsed {
  readonly commit: string;
  readonly at: Date;
}

/** A question and its answer; `rehearsed` is absent when no evidence was found. */
export interface RehearsalLookup extends RehearsalQuestion {
  readonly rehearsed?: Rehearsed;
}

/**
 * Everything looked up for one check: the data the rehearsal rule is judged
 * on. `problem` says why nothing could be looked up (the sandbox branch is not
 * in the clone); then `lookups` is empty.
 */
export interface RehearsalReport {
  readonly source: string;
  readonly branch: string;
  readonly lookups: readonly RehearsalLookup[];
  readonly problem?: string;
}

/** The sandbox branch's history, as the rule needs it. */
export interface MoveHistory {
  /** The branch's commit as the clone has it, or undefined when the clone lacks the branch. */
  resolve(branch: string): Promise<string | undefined>;
  /** Up to `limit` commits of the first-parent history of `tip` that changed the file of `group`, newest first. */
  commitsChanging(tip: string, group: string, limit: number): Promise<string[]>;
}

/** What `gatherRehearsals` reads. */
export interface RehearsalSources {
  readonly history: MoveHistory;
  readonly statuses: Pick<StatusReporter, 'list'>;
  /** Names where the statuses come from, for messages: `GitHub acme/app`. */
  readonly source: string;
}

/**
 * Looks for each move's success status on the sandbox branch, one question
 * at a time (to be gentle on rate limits). Throws the sources' own errors
 * when they cannot be read.
 */
export async function gatherRehearsals(
  sources: RehearsalSources,
  branch: string,
  questions: readonly RehearsalQuestion[],
): Promise<RehearsalReport> {
  const { history, source } = sources;
  const tip = await history.resolve(branch);
  if (!tip)
    return {
      source,
      branch,
      lookups: [],
      problem: `the sandbox branch ${branch} is not in this clone, so no rehearsal could be looked for: fetch it first (git fetch origin ${branch}; in GitHub Actions, check out with fetch-depth: 0)`,
    };
  const lookups: RehearsalLookup[] = [];
  for (const q of questions) {
    const rehearsed = await findRehearsal(sources, tip, q);
    lookups.push(rehearsed ? { ...q, rehearsed } : { ...q });
  }
  return { source, branch, lookups };
}

async function findRehearsal(
  { history, statuses }: RehearsalSources,
  tip: string,
  q: RehearsalQuestion,
): Promise<Rehearsed | undefined> {
  const context = moveContext(q.tenant, q.from, q.to);
  for (const commit of await history.commitsChanging(tip, q.to, REHEARSAL_SEARCH_DEPTH)) {
    let recorded: RecordedStatus[];
    try {
      recorded = await statuses.list(commit);
    } catch (err) {
      // A commit the status store does not know (GitHub answers 404 or 422) holds no evidence.
      if (err instanceof NotFoundError || (err instanceof PermanentError && err.reason === 'StatusRejected'))
        continue;
      throw err;
    }
    const at = turnedSuccessAt(recorded, context);
    if (at) return { commit, at };
  }
  return undefined;
}
