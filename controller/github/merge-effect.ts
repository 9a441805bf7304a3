/**
 * Did a commit credited to a pull request change the desired state exactly as
 * merging that pull request does? GitHub credits a merge or squash commit to a
 * pull request by its `merge_commit_sha` alone, whatever the commit holds; this
 * compares the trees, so a commit cannot carry changes nobody reviewed. The git
 * work is behind `MergeEffects` (the mirror implements it); this file decides.
 *
 * Rules:
 * - a commit that is one of the pull request's own commits (a fast-forward) is what
 *   was pushed for review: nothing to compare;
 * - a merge or squash commit, and the last commit of a rebase merge (its
 *   `merge_commit_sha`), must hold under groups/ and policies/ (the only folders the
 *   controller reads) exactly what merging the pull request's final head onto the
 *   commit's first parent produces (`git merge-tree`); a conflict there, or any
 *   difference, refuses it;
 * - a rebase merge of several commits is not recomputed: its earlier commits are
 *   credited to no pull request the controller can check, and its last commit matches
 *   only when the merge recomputes cleanly. Pull requests that change rings are merged
 *   or squashed.
 */

/** What merging the head onto the commit's first parent gives, against the commit, under groups/ and policies/. */
export type MergeComparison =
  | { readonly outcome: 'same' }
  /** Paths under the watched folders where the commit differs from the merge, in git's order. */
  | { readonly outcome: 'differs'; readonly paths: readonly string[] }
  /** Paths under the watched folders where the merge conflicts. */
  | { readonly outcome: 'conflict'; readonly paths: readonly string[] }
  /** The head and the commit's parent share no history. */
  | { readonly outcome: 'unrelated' }
  /** The head is neither in the mirror nor on the remote as `refs/pull/<number>/head`. */
  | { readonly outcome: 'head-missing' };

/** The git questions the approval check asks about a commit credited to a pull request. */
export interface MergeEffects {
  /**
   * Compares the desired state at `commit` with what merging `head` (the final head of
   * pull request `pull`) onto the first parent of `commit` produces. Fetches the head as
   * GitHub exposes it (`refs/pull/<pull>/head`) when the mirror lacks it (a squash
   * merge). Throws TransientError when git or the remote fails (judge again later).
   */
  compare(commit: string, head: string, pull: number): Promise<MergeComparison>;
}

/** How many paths a refusal names. */
const SHOWN_PATHS = 3;

/** The refusal for a merge comparison: undefined when the commit is what merging the pull request produces. */
export function mergeRefusal(
  commit: string,
  pull: { readonly number: number; readonly head: string },
  compared: MergeComparison,
): { readonly reason: string; readonly detail: string } | undefined {
  const c = commit.slice(0, 7);
  const h = pull.head.slice(0, 7);
  const rule = `What a commit credited to a pull request changes under groups/ and policies/ must be exactly what merging the pull request's final head onto the commit's first parent produces: what was reviewed is what is applied`;
  switch (compared.outcome) {
    case 'same':
      return undefined;
    case 'differs': {
      const reason = `${c} is not what merging #${pull.number} (head ${h}) produces: it differs in ${listPaths(compared.paths)}`;
      const rebase = `; a rebase merge of several commits cannot be checked this way: merge or squash pull requests that change rings`;
      return { reason, detail: `${reason}. ${rule}${rebase}. Differing paths: ${compared.paths.join(', ')}` };
    }
    case 'conflict': {
      const reason = `merging #${pull.number} (head ${h}) onto the parent of ${c} conflicts in ${listPaths(compared.paths)}`;
      return { reason, detail: `${reason}. ${rule}. Conflicting paths: ${compared.paths.join(', ')}` };
    }
    case 'unrelated': {
      const reason = `the head ${h} of #${pull.number} shares no history with the parent of ${c}`;
      return { reason, detail: `${reason}. ${rule}` };
    }
    case 'head-missing': {
      const reason = `the head ${h} of #${pull.number} is not in the mirror nor on the remote as refs/pull/${pull.number}/head`;
      return { reason, detail: `${reason}. ${rule}; without the head there is nothing to compare with` };
    }
  }
}

function listPaths(paths: readonly string[]): string {
  const more = paths.length - SHOWN_PATHS;
  return `${paths.slice(0, SHOWN_PATHS).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}
