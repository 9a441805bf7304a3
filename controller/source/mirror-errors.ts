/**
 * How a GitMirror turns git's failures into our typed errors, with the
 * remote's credentials scrubbed from the message and from the cause.
 */
import { NotFoundError, TransientError, isRingmasterError } from '../errors.js';
import { redact } from './mirror-remote.js';
import type { MirrorTarget } from './mirror-setup.js';

/** `branch "main" of https://host/repo.git`: the followed branch, fit for messages. */
export function describeTarget(target: MirrorTarget): string {
  return `branch "${target.branch}" of ${target.remote.label}`;
}

/** The remote has no such branch. */
export function branchNotFound(target: MirrorTarget, cause?: Error): NotFoundError {
  return new NotFoundError(
    'BranchNotFound',
    `The remote ${target.remote.label} has no branch "${target.branch}"; check the branch name.`,
    { cause },
  );
}

/**
 * Wraps a failure of a command that talks to the remote (`action` reads like
 * "Fetching"): NotFoundError BranchNotFound when git says the branch is
 * missing, else TransientError RemoteUnreachable.
 */
export function remoteFailure(
  target: MirrorTarget,
  action: string,
  err: unknown,
): NotFoundError | TransientError {
  const text = redactedMessage(target, err);
  if (/couldn't find remote ref/i.test(text)) return branchNotFound(target, new Error(text));
  return new TransientError(
    'RemoteUnreachable',
    `${action} ${describeTarget(target)} failed: ${text}; check the address, the network and the credentials.`,
    // A fresh cause: git's own error carries the command line and its output, credentials included.
    { cause: new Error(text) },
  );
}

/**
 * Wraps a failure of a command on the mirror alone (`doing` reads like
 * "Reading the mirror"): our own errors pass through, git's become
 * TransientError with `reason`.
 */
export function mirrorFailure(target: MirrorTarget, reason: string, doing: string, err: unknown): Error {
  if (isRingmasterError(err)) return err;
  const text = redactedMessage(target, err);
  return new TransientError(reason, `${doing} of ${describeTarget(target)} failed: ${text}`, {
    cause: new Error(text),
  });
}

/** git's message, credentials scrubbed, on one line: the cause keeps nothing more, so nothing can leak there. */
function redactedMessage(target: MirrorTarget, err: unknown): string {
  const text = redact(target.remote, err instanceof Error ? err.message : String(err));
  return text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}
