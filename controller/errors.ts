/**
 * The typed errors of Ringmaster. Callers decide what to do from the class
 * (or the `reason`), never from the message. Messages name the operation and
 * the target, and say what to do where a person can act.
 */

/** Base of every error Ringmaster raises on purpose. */
export class RingmasterError extends Error {
  /** A PascalCase reason, stable for logs and metrics. */
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.reason = reason;
  }
}

/** Bad flags, bad configuration or a bad argument: a person must change the input. */
export class ConfigurationError extends RingmasterError {}

/** Something named does not exist (a revision, a file, a group). */
export class NotFoundError extends RingmasterError {}

/** A failure that may pass if the operation is tried again later. */
export class TransientError extends RingmasterError {}

/** True when `err` is one of our own errors, whose message is fit for a person. */
export function isRingmasterError(err: unknown): err is RingmasterError {
  return err instanceof RingmasterError;
}

/** A failure that retrying will not cure: the step fails and the transition rolls back. */
export class PermanentError extends RingmasterError {}

/** True for errors worth retrying. */
export function isTransient(err: unknown): err is TransientError {
  return err instanceof TransientError;
}
