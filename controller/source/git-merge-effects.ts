/**
 * The mirror's answer to "is this commit what merging that pull request
 * produces?" (MergeEffects): `git merge-tree --write-tree` (git 2.38 or later)
 * recomputes the merge of the pull request's head onto the commit's first
 * parent without touching any work tree or ref, and `git diff-tree` compares
 * the result with the commit under the folders the controller reads.
 */
import type { SimpleGit } from 'simple-git';
import { ConfigurationError, TransientError, isRingmasterError } from '../errors.js';
import type { MergeComparison, MergeEffects } from '../github/merge-effect.js';
import { redactUrls } from './mirror-remote.js';
import { type GitMirror, WATCHED_FOLDERS } from './mirror.js';

/** What the comparison needs of the mirror. */
export type MergeMirror = Pick<GitMirror, 'repository' | 'firstParent' | 'fetchPull' | 'label'>;

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** The merge recomputed: its tree and the paths where it conflicts. */
type Recomputed = { readonly tree: string; readonly conflicts: readonly string[] } | 'unrelated';

/**
 * MergeEffects over a GitMirror. Reads the mirror; writes only
 * `refs/ringmaster/pulls/<number>` (a fetched head) and the objects of the
 * recomputed merge (unreferenced: git's garbage collection removes them).
 */
export class GitMergeEffects implements MergeEffects {
  /**
   * @param mirror the mirror holding the commits
   * @param folders the folders compared; default groups/ and policies/
   */
  constructor(
    private readonly mirror: MergeMirror,
    private readonly folders: readonly string[] = WATCHED_FOLDERS,
  ) {}

  /**
   * See MergeEffects.compare. Throws ConfigurationError for a commit or head that is
   * no full sha and when git is older than 2.38 (no `merge-tree --write-tree`),
   * TransientError when git or the remote fails.
   */
  async compare(commit: string, head: string, pull: number): Promise<MergeComparison> {
    for (const sha of [commit, head])
      if (!FULL_SHA.test(sha)) throw new ConfigurationError('BadCommit', `"${sha}" is not a full commit sha`);
    const git = this.mirror.repository();
    if (!(await this.has(git, head))) {
      await this.mirror.fetchPull(pull);
      if (!(await this.has(git, head))) return { outcome: 'head-missing' };
    }
    const parent = await this.mirror.firstParent(commit);
    // A root commit has nothing to merge onto: the pull request's head is all it can be.
    const merged = parent ? await this.merge(git, parent, head, pull) : { tree: head, conflicts: [] };
    if (merged === 'unrelated') return { outcome: 'unrelated' };
    const conflicts = merged.conflicts.filter((path) => this.watched(path));
    if (conflicts.length) return { outcome: 'conflict', paths: conflicts };
    const out = await this.run(`Comparing ${commit.slice(0, 7)} with the merge of #${pull}`, () =>
      git.raw([
        'diff-tree',
        '-r',
        '--name-only',
        '--no-renames',
        '-z',
        merged.tree,
        commit,
        '--',
        ...this.folders,
      ]),
    );
    const paths = out.split('\0').filter(Boolean);
    return paths.length ? { outcome: 'differs', paths } : { outcome: 'same' };
  }

  /** True when the mirror holds `sha` as a commit. */
  private async has(git: SimpleGit, sha: string): Promise<boolean> {
    // --verify --quiet answers "no" by an empty output and exit code 1, which simple-git takes as success.
    const out = await this.run(`Looking for ${sha.slice(0, 7)}`, () =>
      git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${sha}^{commit}`]),
    );
    return out.trim() !== '';
  }

  /** Recomputes merging `head` onto `parent`; a conflict is a result (exit code 1, paths listed), not a failure. */
  private async merge(git: SimpleGit, parent: string, head: string, pull: number): Promise<Recomputed> {
    const args = ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', parent, head];
    let out: string;
    try {
      out = await git.raw(args);
    } catch (err) {
      const text = messageOf(err);
      if (/unrelated histories/i.test(text)) return 'unrelated';
      if (/unknown option|usage: git merge-tree/i.test(text))
        throw new ConfigurationError(
          'GitTooOld',
          `Comparing a merge commit with pull request #${pull} needs git 2.38 or later (git merge-tree --write-tree); upgrade git on the controller's machine`,
          { cause: new Error(text) },
        );
      throw this.failure(`Merging the head ${head.slice(0, 7)} of #${pull} onto ${parent.slice(0, 7)}`, err);
    }
    const [tree, ...conflicts] = out.split('\0').filter(Boolean);
    if (!tree || !/^[0-9a-f]+$/.test(tree))
      throw this.failure(
        `Merging the head ${head.slice(0, 7)} of #${pull}`,
        new Error(`unexpected output ${out}`),
      );
    return { tree, conflicts };
  }

  private watched(path: string): boolean {
    return this.folders.some((folder) => path === folder || path.startsWith(`${folder}/`));
  }

  private async run(doing: string, command: () => Promise<string>): Promise<string> {
    try {
      return await command();
    } catch (err) {
      throw this.failure(doing, err);
    }
  }

  private failure(doing: string, err: unknown): Error {
    if (isRingmasterError(err)) return err;
    const text = messageOf(err);
    return new TransientError(
      'MergeCheckFailed',
      `${doing} in the mirror of ${this.mirror.label} failed: ${text}`,
      {
        cause: new Error(text),
      },
    );
  }
}

/** git's message on one line, any URL credentials removed. */
function messageOf(err: unknown): string {
  const text = redactUrls(err instanceof Error ? err.message : String(err));
  return text.replace(/\s+/g, ' ').trim();
}
