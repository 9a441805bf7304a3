/**
 * What the controller reads at each look: the desired state at the head of
 * the followed branch (through a bare mirror in the state folder) or at --rev,
 * and what keeps a new head from being applied: a rewritten history, a commit
 * without an approved pull request, approvals GitHub could not be asked about.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SimpleGit } from 'simple-git';
import { isTransient } from '../errors.js';
import { judgeNewCommits } from '../github/commit-gate.js';
import { loadConstellation } from '../model/load.js';
import { LoadCache } from '../model/load-cache.js';
import { DEFAULT_PARSE_LIMITS } from '../model/parse.js';
import { formatDiagnostic } from '../model/diagnostics.js';
import { GitCommitSource, resolveCommit } from '../source/git-source.js';
import { GitMergeEffects } from '../source/git-merge-effects.js';
import { GitObjectReader } from '../source/git-object-reader.js';
import { GitMirror } from '../source/mirror.js';
import type { DesiredRead } from '../loop/desired-read.js';
import type { Constellation } from '../model/types.js';
import type { CliContext } from './context.js';
import type { GitHubParts } from './github-options.js';

/** Reads the desired state look after look; close it to end its git child. */
export interface DesiredReader {
  /** Reads the desired state at the branch head (or --rev): its commit and constellation, or the findings that stop it. */
  readDesired(): Promise<DesiredRead>;
  /** The mirror following the branch; absent with --rev, which reads the local repository as it is. */
  readonly mirror?: GitMirror;
  /** The desired state at `commit`, undefined when it does not validate; throws when git cannot read it. */
  readAt(commit: string): Promise<Constellation | undefined>;
  close(): Promise<void>;
}

/** Where to read: `repo`'s `branch` through a mirror under `state`, or its revision `rev` directly. */
export interface DesiredSource {
  readonly repo: string;
  readonly branch: string;
  readonly rev?: string;
  readonly state: string;
}

/**
 * Opens the reader for `opts`; `github`, when given, judges the approvals of
 * each new head. `git` is the local repository, needed with `rev` alone.
 * Following a branch, the mirror is made (or checked) now, without asking the
 * remote: a state folder that mirrors another remote is refused at start.
 */
export async function openDesiredReader(
  ctx: CliContext,
  opts: DesiredSource,
  git: SimpleGit | undefined,
  log: Logger,
  github?: GitHubParts,
): Promise<DesiredReader> {
  // Each look reads only what changed since the last: the same commit is not loaded twice, and a new
  // commit reads, parses and checks only the files whose content changed.
  const cache = new LoadCache();
  const mirrorDir = join(opts.state, 'mirror.git');
  // One `git cat-file` child reads every commit: spawned at the first load, while the heap is still small.
  const objects = new GitObjectReader(opts.rev ? opts.repo : mirrorDir);
  let last: { commit: string; read: Pick<DesiredRead, 'constellation' | 'errors'> } | undefined;
  const load = async (source: GitCommitSource) => {
    if (last?.commit === source.commit) return last.read;
    const result = await loadConstellation(source.withReader(objects), {
      validator: ctx.schemas(),
      // The same caps as validate: RINGMASTER_MAX_FILE_BYTES and RINGMASTER_MAX_FILES apply to what the
      // controller reads too. A head over the file cap is one finding, found before any file is read.
      limits: { ...DEFAULT_PARSE_LIMITS, maxFileBytes: ctx.env.maxFileBytes, maxFiles: ctx.env.maxFiles },
      cache,
    });
    const read = {
      constellation: result.constellation,
      errors: result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic),
    };
    last = { commit: source.commit, read };
    return read;
  };
  if (opts.rev) {
    if (!git) throw new Error('openDesiredReader: --rev needs the local repository');
    // Rehearsal mode: the local repository's revision as it is now (npm start follows HEAD this way).
    const rev = opts.rev;
    const readDesired = async (): Promise<DesiredRead> => {
      // Through the reader's one child: two git processes per look would cost more than the whole load.
      const commit = await resolveCommit(git, rev, objects);
      const committedAt = await objects.committedAt(commit);
      return {
        commit,
        committedAt,
        ...(await load(new GitCommitSource(git, commit))),
        superseded: [],
        accept: async () => {},
      };
    };
    const readAt = async (commit: string) => (await load(new GitCommitSource(git, commit))).constellation;
    return { readDesired, readAt, close: () => objects.close() };
  }
  const mirror = new GitMirror({
    remote: opts.repo,
    branch: opts.branch,
    dir: mirrorDir,
    git: await ctx.gitFactory(),
    refs: objects,
  });
  try {
    await mirror.ensure();
  } catch (err) {
    await objects.close();
    throw err;
  }
  const readDesired = async (): Promise<DesiredRead> => {
    // One git child per look: a fetch of an unchanged branch transfers nothing and writes nothing, and costs
    // about what asking for the head alone (ls-remote) does; a moved branch is fetched in the same child.
    const fetched = await mirror.fetch();
    const rewritten = fetched.previous && !fetched.fastForward ? fetched.head : undefined;
    const verdict =
      github && !rewritten && fetched.previous && fetched.moved
        ? await judge(github, fetched.previous, fetched.commits)
        : undefined;
    const refused = verdict === 'unknown' ? undefined : verdict;
    // Nothing from a rewritten history, past an unapproved commit, or not yet judged is applied:
    // keep reconciling the commit followed so far, so rollouts under way go on.
    const held = Boolean(rewritten || verdict);
    const commit = held ? fetched.previous! : fetched.head;
    const superseded = held ? [] : fetched.commits.slice(0, -1);
    const accept = async () => {
      if (!held && fetched.moved) await mirror.accept(commit);
    };
    const read = await load(mirror.source(commit));
    if (!read.constellation && !held && fetched.previous) {
      // A head that does not validate applies nothing: the commit followed so far goes on being reconciled,
      // and the commits before the head wait with it (no status says they were applied).
      const previous = await load(mirror.source(fetched.previous));
      if (previous.constellation) {
        return {
          commit: fetched.previous,
          committedAt: await objects.committedAt(fetched.previous),
          ...previous,
          superseded: [],
          invalid: { commit, errors: read.errors },
          accept: async () => {},
        };
      }
    }
    return {
      commit,
      committedAt: await objects.committedAt(commit),
      ...read,
      superseded,
      rewritten,
      refused,
      unjudged: verdict === 'unknown' ? fetched.head : undefined,
      accept,
    };
  };
  // A merge or squash commit must change the desired state exactly as merging its pull request does.
  const merges = new GitMergeEffects(mirror);
  /** Whether the commits up to a new head came through approved pull requests; the refusal when not. */
  const judge = async (gh: GitHubParts, followed: string, commits: readonly string[]) => {
    let verdict;
    try {
      verdict = await judgeNewCommits(
        {
          ...gh,
          cache: gh.approvals,
          branch: opts.branch,
          log,
          load: async (c) => (await load(mirror.source(c))).constellation,
          firstParent: (c) => mirror.firstParent(c),
          merges,
        },
        followed,
        commits,
      );
    } catch (err) {
      // GitHub unreachable or rate-limited: the new head waits for the next look; what is under way goes on.
      if (!isTransient(err)) throw err;
      log.warn(
        { err, head: commits.at(-1) },
        'Approvals of the new head could not be checked; trying again next look',
      );
      return 'unknown' as const;
    }
    if (verdict.allowed) return undefined;
    log.warn({ commit: verdict.commit, detail: verdict.detail }, 'Commit not approved; not applied');
    return { head: commits.at(-1)!, commit: verdict.commit, reason: verdict.reason };
  };
  const readAt = async (commit: string) => (await load(mirror.source(commit))).constellation;
  return { readDesired, readAt, mirror, close: () => objects.close() };
}
