/**
 * GitMirror: a bare mirror, under the state directory, of the one branch the
 * controller follows. Each look fetches the branch (one git child; nothing is
 * transferred or written when it did not move) and lists the commits merged
 * since the head it last applied.
 * Only fast-forwards are followed on their own; a rewritten branch waits for
 * an operator.
 */
import { type SimpleGit, simpleGit } from 'simple-git';
import { ConfigurationError, NotFoundError } from '../errors.js';
import { runGit } from './git-run.js';
import { GitCommitSource, resolveCommit } from './git-source.js';
import { FULL_SHA, MirrorAncestry, type RefReader } from './mirror-ancestry.js';
import { describeTarget, mirrorFailure, remoteFailure } from './mirror-errors.js';
import { MirrorMaintenance } from './mirror-maintenance.js';
import { fetchPullHead } from './mirror-pulls.js';
import { parseRemote } from './mirror-remote.js';
import {
  type EnsureOutcome,
  type MirrorTarget,
  fetchArgs,
  ensureMirror,
  fetchRefspec,
  makeMirrorDir,
  trackingRef,
} from './mirror-setup.js';

export type { EnsureOutcome } from './mirror-setup.js';

/** Opens git on a folder that exists. The composition root passes one with its timeouts and environment. */
export type GitFactory = (dir: string) => SimpleGit;

/** How to build a GitMirror. */
export interface GitMirrorOptions {
  /** The remote: a URL (credentials allowed, never printed), `host:path`, or a folder path. */
  readonly remote: string;
  /** The branch to follow, for example "main". */
  readonly branch: string;
  /** The mirror folder, for example `<state>/mirror.git`; created when absent. */
  readonly dir: string;
  /** Opens git on the mirror folder; defaults to simple-git with that folder as its base. */
  readonly git?: GitFactory;
  /**
   * Reads refs of the mirror without a git child per read (a long-lived
   * `git cat-file`, GitObjectReader); without it each read is a `git` child.
   */
  readonly refs?: RefReader;
}

/** What one fetch found, compared with the followed head. */
export interface FetchResult {
  /** The branch head now in the mirror. */
  readonly head: string;
  /** The followed head before this fetch; absent on the very first one. */
  readonly previous?: string;
  /** True when `head` differs from `previous` (always true without a previous head). */
  readonly moved: boolean;
  /** True when `previous` is an ancestor of `head` (or absent); false after a force push. */
  readonly fastForward: boolean;
  /**
   * First-parent commits after `previous` up to `head`, oldest first: `[head]`
   * without a previous head, `[]` when the branch did not move. After a
   * rewrite: the new history's commits that `previous` does not contain.
   */
  readonly commits: readonly string[];
}

/** The folders whose changes the planner reloads. */
export const WATCHED_FOLDERS: readonly string[] = ['groups', 'policies'];

/** The ref holding the followed head: a ref, so git moves it atomically and keeps its commits. */
export const FOLLOWED_REF = 'refs/ringmaster/followed';
/** Where a head left behind by an accepted rewrite is kept, so its files stay readable for rollbacks. */
export const ABANDONED_PREFIX = 'refs/ringmaster/abandoned/';

const NO_SHA = '0'.repeat(40);

/**
 * The bare mirror of one branch of one remote. Every method but `source`
 * creates the mirror on first use. Errors: ConfigurationError (bad input, a
 * folder of another remote), NotFoundError (the branch or a commit is
 * missing), TransientError (the remote is unreachable, git failed; retry next
 * tick). No message ever carries the credentials of the remote's URL.
 */
export class GitMirror {
  /** The branch followed and its remote, credentials removed: for messages and logs. */
  readonly label: string;
  private readonly target: MirrorTarget;
  private readonly openGit: GitFactory;
  private client?: SimpleGit;
  private ready?: Promise<unknown>;
  readonly #refs?: RefReader;
  readonly #ancestry: MirrorAncestry;
  readonly #maintenance = new MirrorMaintenance(() => this.git());

  constructor(options: GitMirrorOptions) {
    this.target = { dir: options.dir, remote: parseRemote(options.remote), branch: options.branch };
    this.openGit = options.git ?? ((dir) => simpleGit({ baseDir: dir }));
    this.label = describeTarget(this.target);
    this.#refs = options.refs;
    this.#ancestry = new MirrorAncestry(options.dir, options.refs);
  }

  /**
   * Creates the bare mirror (remote `origin`, fetching only the branch) when
   * the folder is absent or empty, or checks that it mirrors this remote and
   * branch. A changed password or token in the URL is written over the old
   * one ('updated'). Throws ConfigurationError for a folder of another remote.
   */
  async ensure(): Promise<EnsureOutcome> {
    try {
      await makeMirrorDir(this.target.dir);
      const outcome = await ensureMirror(this.git(), this.target);
      this.ready = Promise.resolve();
      return outcome;
    } catch (err) {
      throw mirrorFailure(
        this.target,
        'MirrorSetupFailed',
        `Setting up the mirror in ${this.target.dir}`,
        err,
      );
    }
  }

  /**
   * Fetches the branch into the mirror and compares it with the followed
   * head, which it does not move (see `accept`). Throws NotFoundError
   * (BranchNotFound) when the remote has no such branch, TransientError
   * (RemoteUnreachable) when the remote cannot be read.
   */
  async fetch(): Promise<FetchResult> {
    await this.prepare();
    const branch = this.target.branch;
    await this.remoteCall('Fetching', fetchArgs(fetchRefspec(branch)));
    this.#maintenance.fetched();
    const head = await this.local('ReadBranchFailed', () =>
      resolveCommit(this.git(), trackingRef(branch), this.#refs),
    );
    const previous = await this.followed();
    if (!previous) return { head, moved: true, fastForward: true, commits: [head] };
    if (previous === head) return { head, previous, moved: false, fastForward: true, commits: [] };
    const { fastForward, commits } = await this.local('AncestryFailed', () =>
      this.#ancestry.between(previous, head),
    );
    return { head, previous, moved: true, fastForward, commits };
  }

  /** Resolves once the maintenance started by a fetch (see mirror-maintenance.ts), if any, has ended. */
  maintained(): Promise<void> {
    return this.#maintenance.settled();
  }

  /** The followed head: the commit last accepted, or undefined before the first `accept`. */
  async followed(): Promise<string | undefined> {
    await this.prepare();
    if (this.#refs) return this.local('ReadFollowedFailed', () => this.#refs!.commitOf(FOLLOWED_REF));
    // for-each-ref prints nothing for a missing ref, where rev-parse fails.
    const out = await this.local('ReadFollowedFailed', () =>
      this.git().raw(['for-each-ref', '--format=%(objectname)', FOLLOWED_REF]),
    );
    return out.trim() || undefined;
  }

  /**
   * Moves the followed head to `commit` after the caller applied it. It must
   * descend from the followed head (a fast-forward); otherwise ConfigurationError
   * NotFastForward and nothing moves. Accepting the followed head again does
   * nothing. Throws NotFoundError for a commit the mirror does not hold, and
   * TransientError (FollowedHeadChanged) when another writer moved it meanwhile.
   */
  async accept(commit: string): Promise<void> {
    await this.prepare();
    const sha = await resolveCommit(this.git(), commit, this.#refs);
    const previous = await this.followed();
    if (previous === sha) return;
    if (previous && !(await this.isAncestor(previous, sha))) {
      throw new ConfigurationError(
        'NotFastForward',
        `Commit ${sha} does not descend from ${previous}, the followed head of ${this.label}: ` +
          'its history was rewritten. Review the new history; an operator accepts it explicitly.',
      );
    }
    await this.moveFollowed(sha, previous);
  }

  /**
   * The operator's answer to a rewritten branch: follows `commit` whatever the
   * history. The commit must be on the fetched branch (ConfigurationError
   * NotOnBranch otherwise). The old followed head is kept under
   * `refs/ringmaster/abandoned/<sha>` so the commits groups last ran stay readable.
   */
  async acceptRewrite(commit: string): Promise<void> {
    await this.prepare();
    const git = this.git();
    const sha = await resolveCommit(git, commit);
    const tip = await resolveCommit(git, trackingRef(this.target.branch));
    if (!(await this.isAncestor(sha, tip))) {
      throw new ConfigurationError(
        'NotOnBranch',
        `Commit ${sha} is not on the fetched ${this.label} (head ${tip}); accept a commit of the branch.`,
      );
    }
    const previous = await this.followed();
    if (previous === sha) return;
    if (previous) {
      await this.local('KeepAbandonedFailed', () =>
        runGit(this.target.dir, ['update-ref', `${ABANDONED_PREFIX}${previous}`, previous]),
      );
    }
    await this.moveFollowed(sha, previous);
  }

  /**
   * A FileSource over `commit` (a full sha, as `fetch` returns) read from the
   * mirror. Call after the mirror exists (any other method makes it). Throws
   * ConfigurationError for anything but a full sha.
   */
  source(commit: string): GitCommitSource {
    if (!FULL_SHA.test(commit)) {
      throw new ConfigurationError(
        'BadCommit',
        `"${commit}" is not a full commit sha; pass one from fetch().`,
      );
    }
    return new GitCommitSource(this.git(), commit);
  }

  /**
   * The paths below `folders` (default groups/ and policies/) that differ
   * between two commits, in git's order. A rename counts as its old and its new
   * path, so the planner drops the one and loads the other.
   */
  async changedFiles(
    from: string,
    to: string,
    folders: readonly string[] = WATCHED_FOLDERS,
  ): Promise<string[]> {
    await this.prepare();
    const git = this.git();
    const [a, b] = await Promise.all([resolveCommit(git, from), resolveCommit(git, to)]);
    const out = await this.local('DiffFailed', () =>
      git.raw(['diff', '--name-only', '--no-renames', '--no-ext-diff', '-z', a, b, '--', ...folders]),
    );
    return out.split('\0').filter(Boolean);
  }

  /**
   * Fetches the head of pull request `pull` as GitHub exposes it (`refs/pull/<pull>/head`)
   * into `refs/ringmaster/pulls/<pull>`; returns its sha, or undefined when the remote
   * has no such ref. Throws ConfigurationError for a bad number, TransientError when the
   * remote cannot be read.
   */
  async fetchPull(pull: number): Promise<string | undefined> {
    await this.prepare();
    return fetchPullHead(this.git(), this.target, pull);
  }

  /** The branch followed. */
  get branch(): string {
    return this.target.branch;
  }

  /** Git on the mirror itself, for work that builds on its commits (a revert branch). Throws like `source`. */
  repository(): SimpleGit {
    return this.git();
  }

  private git(): SimpleGit {
    try {
      this.client ??= this.openGit(this.target.dir);
    } catch (err) {
      // simple-git refuses a folder that does not exist: only `source` can get here before `ensure`.
      throw new NotFoundError('MirrorMissing', `There is no mirror in ${this.target.dir} yet; fetch first.`, {
        cause: err,
      });
    }
    return this.client;
  }

  /** Ensures the mirror once per instance; a failure is retried on the next call. */
  private prepare(): Promise<unknown> {
    this.ready ??= this.ensure().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** True when `ancestor` is `commit` or one of its ancestors. */
  private isAncestor(ancestor: string, commit: string): Promise<boolean> {
    return this.local('AncestryFailed', () => this.#ancestry.isAncestor(ancestor, commit));
  }

  /** The first parent of `commit` (what a merge was made onto), or undefined for a root commit. */
  async firstParent(commit: string): Promise<string | undefined> {
    const out = await this.local('ReadParentFailed', () =>
      this.git().raw(['rev-list', '--parents', '-n', '1', commit]),
    );
    const parent = out.trim().split(/\s+/)[1];
    return parent && FULL_SHA.test(parent) ? parent : undefined;
  }

  /** Compare-and-swap of the followed ref, so two writers can never both win. */
  private async moveFollowed(sha: string, previous: string | undefined): Promise<void> {
    const args = ['update-ref', '-m', 'ringmaster: follow', FOLLOWED_REF, sha, previous ?? NO_SHA];
    await runGit(this.target.dir, args).catch((err: unknown) => {
      throw mirrorFailure(this.target, 'FollowedHeadChanged', `Moving the followed head to ${sha}`, err);
    });
  }

  /** Runs a command that talks to the remote (`action` reads like "Fetching"). */
  private remoteCall(action: string, args: string[]): Promise<string> {
    return runGit(this.target.dir, args).catch((err: unknown) => {
      throw remoteFailure(this.target, action, err);
    });
  }

  /** Runs a command on the mirror alone; our own errors pass through, git's become TransientError `reason`. */
  private local<T>(reason: string, run: () => Promise<T>): Promise<T> {
    return run().catch((err: unknown) => {
      throw mirrorFailure(this.target, reason, 'Reading the mirror', err);
    });
  }
}
