/**
 * How a GitMirror tells whether one commit descends from another, and which
 * commits of the first-parent line lie between them. Nearly always the new
 * commits sit on the first-parent line just above the followed head: that
 * line is read through the long-lived reader, one commit at a time, with no
 * git child. Further than FIRST_PARENT_WALK commits, or off that line (the
 * followed head became a merge's second parent), git answers.
 */
import { runGit } from './git-run.js';

/** What a ref names, and a commit's parents, read from the mirror. */
export interface RefReader {
  /** The full sha of the commit `rev` names, or undefined when it names none. */
  commitOf(rev: string): Promise<string | undefined>;
  /** The parents of `commit`, first parent first; undefined when the mirror has no such commit. */
  parentsOf?(commit: string): Promise<string[] | undefined>;
}

/** How many commits a new head may be ahead of the followed one for the reader to answer. */
const FIRST_PARENT_WALK = 64;

export const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Ancestry questions about the commits of the repository at `dir`; git's failures are thrown as they come. */
export class MirrorAncestry {
  constructor(
    private readonly dir: string,
    private readonly refs?: RefReader,
  ) {}

  /**
   * Whether `from` is `to` or one of its ancestors, and the first-parent
   * commits after `from` up to `to`, oldest first (those `from` does not
   * contain, after a rewrite).
   */
  async between(from: string, to: string): Promise<{ fastForward: boolean; commits: string[] }> {
    const line = await this.#firstParentLine(from, to);
    if (line) return { fastForward: true, commits: line };
    const [fastForward, commits] = await Promise.all([
      this.#askIsAncestor(from, to),
      this.#askCommits(from, to),
    ]);
    return { fastForward, commits };
  }

  /** True when `ancestor` is `commit` or one of its ancestors. */
  async isAncestor(ancestor: string, commit: string): Promise<boolean> {
    return (
      (await this.#firstParentLine(ancestor, commit)) !== undefined || this.#askIsAncestor(ancestor, commit)
    );
  }

  /** The line from just after `from` up to `to`, oldest first, when `from` is on it within the walk. */
  async #firstParentLine(from: string, to: string): Promise<string[] | undefined> {
    const refs = this.refs;
    if (!refs?.parentsOf) return undefined;
    const line: string[] = [];
    for (let at: string | undefined = to; at && line.length <= FIRST_PARENT_WALK;) {
      if (at === from) return line.reverse();
      line.push(at);
      at = (await refs.parentsOf(at))?.[0];
    }
    return undefined;
  }

  async #askIsAncestor(ancestor: string, commit: string): Promise<boolean> {
    // Not `merge-base --is-ancestor`: it answers "no" by its exit code alone.
    const out = await runGit(this.dir, ['rev-list', '--max-count=1', ancestor, '--not', commit]);
    return out.trim() === '';
  }

  async #askCommits(from: string, to: string): Promise<string[]> {
    const out = await runGit(this.dir, ['rev-list', '--reverse', '--first-parent', to, '--not', from]);
    return out.split('\n').filter((line) => FULL_SHA.test(line.trim()));
  }
}
