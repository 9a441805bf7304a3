/**
 * What one look at the branch read: the commit followed with its desired
 * state, and what is wrong with a newer head that is not followed. The
 * reader (cli/desired.ts builds it on git and GitHub) makes it; the look at
 * the branch (branch-look.ts) acts on it.
 */
import type { Constellation } from '../model/types.js';
import type { HeadProblem } from '../state/status-view.js';

/** One look at the branch. */
export interface DesiredRead {
  readonly commit: string;
  readonly committedAt: Date;
  readonly constellation?: Constellation;
  readonly errors: readonly string[];
  /** Commits merged since the last look and passed over for a newer one, oldest first. */
  readonly superseded: readonly string[];
  /** A new head that rewrote history (force push): not followed until an operator accepts it. */
  readonly rewritten?: string;
  /** A new head not applied because a commit up to it lacks an approved pull request (with --github). */
  readonly refused?: { readonly head: string; readonly commit: string; readonly reason: string };
  /** A new head whose approvals GitHub could not be asked about: not applied until they can. */
  readonly unjudged?: string;
  /**
   * A new head that does not validate, with its findings, while the commit
   * followed so far (`commit`, `constellation`) still does: that one goes on
   * being reconciled.
   */
  readonly invalid?: { readonly commit: string; readonly errors: readonly string[] };
  /** Marks the commit as followed, once it has been reconciled. */
  accept(): Promise<void>;
}

/**
 * Why the newest head is not what `read` follows, if it is not: it does not
 * validate, a commit up to it lacks approval, it rewrote history, or GitHub
 * could not be asked about it.
 */
export function headProblemOf(read: DesiredRead): HeadProblem | undefined {
  // A head that does not validate: beside a commit still followed, or with nothing followed yet.
  const invalid =
    read.invalid ?? (read.constellation ? undefined : { commit: read.commit, errors: read.errors });
  if (invalid)
    return {
      commit: invalid.commit,
      problem: 'invalid',
      reason: `does not validate (${invalid.errors.length} errors; first: ${invalid.errors[0] ?? ''})`,
    };
  if (read.refused) return { commit: read.refused.head, problem: 'refused', reason: read.refused.reason };
  if (read.rewritten)
    return {
      commit: read.rewritten,
      problem: 'rewritten',
      reason: `history rewritten (force push); not followed until an operator runs ringmaster accept-history ${read.rewritten.slice(0, 12)}`,
    };
  if (read.unjudged)
    return {
      commit: read.unjudged,
      problem: 'unjudged',
      reason: 'its approvals could not be checked on GitHub; waits until they can',
    };
  return undefined;
}

/** A head that does not validate, with its findings: beside a commit still followed, or with nothing followed yet. */
export function invalidHeadOf(read: DesiredRead): DesiredRead['invalid'] {
  return read.invalid ?? (read.constellation ? undefined : { commit: read.commit, errors: read.errors });
}
