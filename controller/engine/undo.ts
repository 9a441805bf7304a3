/**
 * Undoing a transition: the compensations of the steps it did, newest first,
 * each within its retry budget (across restarts, as the steps' own), leaving
 * the transition rolled back, or in emergency when an undo fails or a step
 * passed a point of no return. Run by run-transition.ts.
 */
import type { Logger } from 'pino';
import type { StepName } from './step-names.js';
import type { RunJournal } from './run-journal.js';
import { type BudgetedWork, type Spent, type Tried, messageOf } from './retry-budget.js';
import { STEP_DEFINITIONS, type TransitionTarget } from './steps.js';
import type { EngineDeps } from './run-transition.js';

/** What undoing needs of the run it belongs to. */
export interface RunParts {
  readonly t: TransitionTarget;
  readonly deps: EngineDeps;
  readonly j: RunJournal;
  readonly log: Logger;
  /** Runs `work` within the step's retry budget, attempts numbered for the providers. */
  retry<T>(step: StepName, spent: Spent, work: BudgetedWork<T>): Promise<Tried<T>>;
  /** True once the controller is stopping. */
  stopping(): boolean;
}

/**
 * Undoes what was done, newest first. A cutover that failed may have moved
 * traffic: it is undone too. Past a point of no return (see
 * StepDefinition.noReturn) nothing is undone: the group is in emergency,
 * unless a human asked for the undo (`recover --to cut-back`).
 */
export async function undoTransition(r: RunParts): Promise<void> {
  // A cut-back a human asked for (ringmaster recover --to cut-back) undoes past the point of no return.
  const noReturn = r.j.entry.recovery?.to === 'cut-back' ? undefined : pastReturn(r);
  if (noReturn) {
    const reason = `${r.j.entry.reason ?? 'failed'}; ${noReturn}`;
    await r.j.save({ status: 'emergency', reason, endedAt: r.j.now() });
    r.log.error(
      { reason },
      'Transition failed past its point of no return; group needs a human (ringmaster recover)',
    );
    return;
  }
  const undo = [...r.j.entry.steps]
    .reverse()
    .filter(
      (step) =>
        step.status === 'done' ||
        step.status === 'compensating' ||
        (step.name === 'cutover' && step.status === 'failed') ||
        // A failed step that may have changed the world, and recorded what, is undone too.
        (step.status === 'failed' &&
          step.data !== undefined &&
          STEP_DEFINITIONS.find((s) => s.name === step.name)?.undoesFailure === true),
    )
    .map((step) => [step, STEP_DEFINITIONS.find((s) => s.name === step.name)!] as const)
    .filter(([, def]) => def.compensate !== undefined);
  for (const [record, def] of undo) {
    // Stopping leaves the rollback where it stands: it is rolling-back in the journal, and resumes at the next start.
    if (r.stopping()) return;
    // An undo resumed after a restart goes on counting its attempts.
    const used = record.status === 'compensating' ? (record.undoAttempts ?? 0) : 0;
    const tried = await r.retry(
      def.name,
      { used, error: record.undoError },
      {
        record: (undoAttempts, undoError) =>
          r.j.putStep({ ...record, status: 'compensating', undoAttempts, undoError }),
        run: (ctx) => def.compensate!(r.t, ctx, r.deps, r.j.recorded()),
      },
    );
    if (!tried.ok && r.stopping()) {
      const handedBack = Math.max(used, tried.attempts - 1);
      await r.j.putStep({ ...record, status: 'compensating', undoAttempts: handedBack });
      return;
    }
    if (!tried.ok) {
      const error = messageOf(tried.error);
      const reason = `${r.j.entry.reason ?? 'rollback'}; undoing ${def.name} failed too: ${error}`;
      await r.j.putStep(
        { ...record, status: 'compensating', undoAttempts: tried.attempts, undoError: error },
        { status: 'emergency', reason, endedAt: r.j.now() },
      );
      r.log.error(
        { err: tried.error, step: def.name },
        'Compensation failed; group needs a human (ringmaster recover)',
      );
      return;
    }
    const { undoError: _last, ...kept } = record;
    await r.j.putStep({
      ...kept,
      status: 'compensated',
      undoAttempts: tried.attempts,
      endedAt: r.j.now(),
    });
  }
  await r.j.save({ status: 'rolled-back', endedAt: r.j.now() });
  r.log.warn({ reason: r.j.entry.reason }, 'Transition rolled back');
}

/** What a step began that cannot be undone, as its definition says; undefined when everything can be. */
function pastReturn(r: Pick<RunParts, 't' | 'j'>): string | undefined {
  for (const record of r.j.entry.steps) {
    const message = STEP_DEFINITIONS.find((s) => s.name === record.name)?.noReturn?.(r.t, record);
    if (message) return message;
  }
  return undefined;
}
