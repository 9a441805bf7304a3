/**
 * What a failed step run had changed before it threw: the engine records it
 * with the failed step, so the step's compensation (see
 * StepDefinition.undoesFailure) can undo it.
 */

/** Side data of failed runs, by error. */
const failureData = new WeakMap<object, Record<string, unknown>>();

/** `err`, marked as thrown after the run changed what `data` says. */
export function failedAfter(err: unknown, data: Record<string, unknown>): unknown {
  if (typeof err === 'object' && err !== null) failureData.set(err, data);
  return err;
}

/** What a failed run had changed before it threw `err`, if it said so (see `failedAfter`). */
export function failureDataOf(err: unknown): Record<string, unknown> | undefined {
  return typeof err === 'object' && err !== null ? failureData.get(err) : undefined;
}
