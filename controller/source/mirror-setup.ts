/**
 * Creating and checking the bare mirror folder of a GitMirror: find, compare,
 * then create, update or leave alone.
 */
import { chmod, mkdir, readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { ConfigurationError } from '../errors.js';
import { mirrorFailure } from './mirror-errors.js';
import { type RemoteAddress, redact, sameRemote } from './mirror-remote.js';

/** What `ensure` did: made the mirror, fixed it (new credentials), or found it right. */
export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

/** The mirror a GitMirror keeps: where, of what remote, following which branch. */
export interface MirrorTarget {
  readonly dir: string;
  readonly remote: RemoteAddress;
  readonly branch: string;
}

/** The config key recording which branch a mirror follows. */
const BRANCH_KEY = 'ringmaster.branch';

/** The ref the fetched branch is stored under in the mirror. */
export function trackingRef(branch: string): string {
  return `refs/remotes/origin/${branch}`;
}

/**
 * The arguments of every fetch into the mirror: `refspec` from origin, quiet,
 * without tags, and without FETCH_HEAD (nothing reads it, and a fetch that
 * brings nothing then writes nothing). Automatic maintenance is off: git would
 * otherwise start `git maintenance run --auto` after every fetch, one more
 * process on the way from a merge to its first status; the mirror is
 * maintained now and then instead (GitMirror).
 */
export function fetchArgs(refspec: string): string[] {
  return [
    '-c',
    'maintenance.auto=false',
    'fetch',
    '--quiet',
    '--no-tags',
    '--no-write-fetch-head',
    'origin',
    refspec,
  ];
}

/** The fetch refspec for exactly one branch; forced, so a rewritten branch is still fetched. */
export function fetchRefspec(branch: string): string {
  return `+refs/heads/${branch}:${trackingRef(branch)}`;
}

/** Creates the mirror folder (not the repository) so a git client can be opened on it. */
export async function makeMirrorDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

/**
 * Makes `target.dir` a bare mirror of the remote's branch, or checks that it
 * is one. The folder must exist (makeMirrorDir). A mirror whose address
 * differs only in credentials gets the new address ('updated'). Throws
 * ConfigurationError for a bad branch name, a folder that is neither empty nor
 * a mirror, or a mirror of another remote or branch; TransientError when git
 * itself fails.
 */
export async function ensureMirror(git: SimpleGit, target: MirrorTarget): Promise<EnsureOutcome> {
  await assertBranchName(git, target.branch);
  const existing = await isRepositoryRoot(git, target.dir);
  if (!existing) {
    if ((await readdir(target.dir)).length > 0) {
      throw new ConfigurationError(
        'MirrorFolderInUse',
        `The mirror folder ${target.dir} is not empty and is not a git mirror; ` +
          'point the state directory elsewhere or empty that folder.',
      );
    }
    await configure(git, target, [
      ['init', '--bare', '--quiet'],
      ['config', 'remote.origin.url', target.remote.url],
      ['config', 'remote.origin.fetch', fetchRefspec(target.branch)],
      ['config', 'remote.origin.tagOpt', '--no-tags'],
      ['config', BRANCH_KEY, target.branch],
    ]);
    await protectConfig(target.dir);
    return 'created';
  }
  const url = (await git.raw(['config', '--get', 'remote.origin.url'])).trim();
  const branch = (await git.raw(['config', '--get', BRANCH_KEY])).trim();
  if (!url || !sameRemote(url, target.remote.url) || branch !== target.branch) {
    throw new ConfigurationError(
      'MirrorOfAnotherRemote',
      `The mirror folder ${target.dir} follows branch "${branch || '?'}" of ` +
        `${redact(target.remote, url || '(no remote)')}, not branch "${target.branch}" of ${target.remote.label}; ` +
        'point the state directory elsewhere, or delete the folder to mirror the new remote.',
    );
  }
  if (url === target.remote.url) return 'unchanged';
  await configure(git, target, [['config', 'remote.origin.url', target.remote.url]]);
  await protectConfig(target.dir);
  return 'updated';
}

/** Refuses names git would read as an option or that are no valid branch name. */
async function assertBranchName(git: SimpleGit, branch: string): Promise<void> {
  const ref = `refs/heads/${branch}`;
  // check-ref-format exits 1 in silence for a bad name, which simple-git takes as success: compare its output.
  const valid =
    !branch.startsWith('-') &&
    (await git.raw(['check-ref-format', '--normalize', ref]).catch(() => '')).trim() === ref;
  if (!valid) {
    throw new ConfigurationError(
      'BadBranch',
      `"${branch}" is not a valid branch name; give the branch to follow, for example "main".`,
    );
  }
}

/** True when `dir` itself is a git directory, not a folder inside some other repository. */
async function isRepositoryRoot(git: SimpleGit, dir: string): Promise<boolean> {
  let gitDir: string;
  try {
    gitDir = (await git.raw(['rev-parse', '--absolute-git-dir'])).trim();
  } catch {
    return false;
  }
  if (!gitDir) return false;
  const [a, b] = await Promise.all([realpath(gitDir).catch(() => gitDir), realpath(dir)]);
  return a === b;
}

/** The config holds the URL, credentials and all: readable by the controller's user alone (git keeps the mode). */
async function protectConfig(dir: string): Promise<void> {
  await chmod(join(dir, 'config'), 0o600);
}

async function configure(git: SimpleGit, target: MirrorTarget, commands: string[][]): Promise<void> {
  try {
    for (const args of commands) await git.raw(args);
  } catch (err) {
    throw mirrorFailure(target, 'MirrorSetupFailed', `Setting up the mirror in ${target.dir}`, err);
  }
}
