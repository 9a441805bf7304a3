/**
 * Pull request heads in a GitMirror. GitHub exposes the head of every pull
 * request as `refs/pull/<number>/head` on the repository itself; a squash
 * merge leaves that head off the branch, so the mirror fetches it, through the
 * remote's name (the URL and its credentials stay off the command line), into
 * a ref of its own.
 */
import type { SimpleGit } from 'simple-git';
import { ConfigurationError, NotFoundError } from '../errors.js';
import { runGit } from './git-run.js';
import { mirrorFailure, remoteFailure } from './mirror-errors.js';
import { type MirrorTarget, fetchArgs } from './mirror-setup.js';

/** Where fetched pull request heads are kept: `refs/ringmaster/pulls/<number>`, one ref per pull request. */
export const PULLS_PREFIX = 'refs/ringmaster/pulls/';

/**
 * Fetches `refs/pull/<pull>/head` from the remote `origin` into
 * `refs/ringmaster/pulls/<pull>` (forced: a reopened pull request may have moved).
 * Returns the fetched sha, or undefined when the remote has no such ref (not a
 * GitHub remote, or no such pull request). Throws ConfigurationError for a number
 * that is no positive integer, TransientError when the remote cannot be read.
 */
export async function fetchPullHead(
  git: SimpleGit,
  target: MirrorTarget,
  pull: number,
): Promise<string | undefined> {
  if (!Number.isSafeInteger(pull) || pull < 1)
    throw new ConfigurationError('BadPullRequest', `${pull} is not a pull request number`);
  const ref = `${PULLS_PREFIX}${pull}`;
  const refspec = `+refs/pull/${pull}/head:${ref}`;
  try {
    // Directly, not through simple-git: a fetch prints nothing, and simple-git waits 50 ms after such a command.
    await runGit(target.dir, fetchArgs(refspec));
  } catch (err) {
    const failure = remoteFailure(target, `Fetching the head of pull request #${pull} for`, err);
    // git says "couldn't find remote ref": the remote has no head for that number.
    if (failure instanceof NotFoundError) return undefined;
    throw failure;
  }
  const out = await git.raw(['for-each-ref', '--format=%(objectname)', ref]).catch((err: unknown) => {
    throw mirrorFailure(target, 'ReadPullHeadFailed', 'Reading the mirror', err);
  });
  return out.trim() || undefined;
}
