/**
 * Runs one transition through its steps with the journal as the source of
 * truth: a step is recorded before and after it runs, transient errors are
 * retried with back-off, a permanent error runs the compensations of the steps
 * done so far in reverse, and a failed compensation leaves the group in
 * emergency. Calling it again with the same transition resumes where the
 * journal says; a final transition is returned as it ended.
 *
 * The retry budget of a step (and of each compensation) holds across
 * restarts: every attempt is recorded in the journal before it starts, so a
 * controller that crashes in a loop resumes the count instead of granting
 * the step a fresh budget, and a step whose budget is spent fails for good.
 */
import type { Logger } from 'pino';
import type { CallContext } from '../providers/ports.js';
import type { StepName } from './step-names.js';
import {
  type JournalEntry,
  type JournalStore,
  type StepRecord,
  type TransitionStatus,
  isFinal,
} from './journal.js';
import {
  type BudgetedWork,
  type RetrySettings,
  type Spent,
  type Tried,
  messageOf,
  tryWithBudget,
} from './retry-budget.js';
import {
  STEP_DEFINITIONS,
  type StepDefinition,
  type StepDeps,
  type StepResult,
  type TransitionTarget,
} from './steps.js';
import { failureDataOf } from './step-failure.js';
import { RunJournal } from './run-journal.js';
import { undoTransition } from './undo.js';

/**
 * How transient failures are retried: `retries` more tries, back-off doubling
 * from min to max. The budget of `retries + 1` attempts is per step and
 * transition, across restarts of the controller.
 */
export type RetryPolicy = RetrySettings;

export interface EngineDeps extends StepDeps {
  readonly journal: JournalStore;
  readonly constellation: string;
  readonly retry: RetryPolicy;
  readonly log: Logger;
  /** Told how long each step took, retries included. */
  readonly observeStep?: (step: StepName, seconds: number) => void;
  /** Told of each journal entry once it is on disk: a step started, a check passed, a wait began. */
  readonly onProgress?: (entry: JournalEntry) => void;
  /**
   * Aborted when the controller stops: no step, attempt or undo starts after
   * it, a wait (a back-off, a health interval) ends at once, and a transition
   * is left open in the journal where it stood, to resume at the next start.
   * An attempt cut short this way does not count against the step's budget.
   */
  readonly signal?: AbortSignal;
}

/**
 * What the composition root gives the engine once: a run adds the constellation
 * it applies and how approvals are judged, which come with the commit followed.
 */
export type EngineParts = Omit<EngineDeps, 'constellation' | 'isApproved' | 'isRetried'>;

/** How a run of a transition ended (for now: waiting is not final). */
export interface TransitionOutcome {
  readonly status: TransitionStatus;
  readonly reason?: string;
  readonly entry: JournalEntry;
}

/** How to run a transition this time. */
export interface RunOptions {
  /**
   * Undo the transition instead of going on, for this reason: a newer commit
   * asks again for what the group ran. The transition ends rolled back and
   * `cancelled`, which holds nothing. A rollback under way goes on as it was.
   */
  readonly cancel?: string;
}

/** Runs or resumes `t`; see the module comment. Throws only when the journal cannot be written. */
export async function runTransition(
  t: TransitionTarget,
  deps: EngineDeps,
  options: RunOptions = {},
): Promise<TransitionOutcome> {
  const run = new Run(t, deps, await RunJournal.open(t, deps));
  return run.execute(options);
}

/** How the steps went: all done; paused (waiting, coming back at a time, or stopped); or failed, with why. */
type StepEnd =
  | { readonly kind: 'done' }
  | { readonly kind: 'paused' }
  | { readonly kind: 'failed'; readonly reason: string };

const PAUSED: StepEnd = { kind: 'paused' };

class Run {
  private readonly log: Logger;

  constructor(
    private readonly t: TransitionTarget,
    private readonly deps: EngineDeps,
    private readonly j: RunJournal,
  ) {
    const p = t.planned;
    this.log = deps.log.child({
      constellation: deps.constellation,
      ring: p.ring,
      group: p.group,
      tenants: (p.to ?? p.from)?.tenants.length ?? 0,
      commit: p.commit,
      transition: p.id,
    });
  }

  async execute(options: RunOptions = {}): Promise<TransitionOutcome> {
    if (isFinal(this.j.entry.status)) return this.j.outcome();
    if (this.j.entry.steps.length === 0 && this.j.entry.status === 'running')
      this.log.info({ from: this.j.entry.from?.release, to: this.j.entry.to?.release }, 'Transition started');
    if (options.cancel && this.j.entry.status !== 'rolling-back') {
      await this.j.save({
        status: 'rolling-back',
        reason: options.cancel,
        until: undefined,
        cancelled: true,
      });
      this.log.info({ reason: options.cancel }, 'Transition cancelled; undoing what it did');
    }
    if (this.j.entry.status !== 'rolling-back') {
      const ended = await this.forward();
      if (ended.kind === 'paused') return this.j.outcome();
      if (ended.kind === 'done') {
        await this.j.save({
          status: 'succeeded',
          endedAt: this.j.now(),
          reason: undefined,
          until: undefined,
        });
        this.log.info({ changes: this.t.planned.changes }, 'Transition succeeded');
        return this.j.outcome();
      }
      await this.j.save({ status: 'rolling-back', reason: ended.reason, until: undefined });
    }
    await this.compensate();
    return this.j.outcome();
  }

  /**
   * Runs the steps not yet done, until all are done, one pauses (waits, comes
   * back later, or the controller stops) or one fails. The end of one step and
   * the start of the next are one journal write: the end is on disk before the
   * next step touches anything, at half the writes. The last step's end is
   * written with the transition's own end by the caller.
   */
  private async forward(): Promise<StepEnd> {
    // The first write also marks the transition running again (after a wait, or a restart).
    const pending: { change?: Partial<JournalEntry> } = {
      change: { status: 'running', reason: undefined, until: undefined },
    };
    for (const step of STEP_DEFINITIONS.filter((s) => s.applies(this.t))) {
      const previous = this.j.record(step.name);
      if (previous?.status === 'done') continue;
      // Failed before a crash, rollback not yet recorded: a permanent failure is never retried.
      if (previous?.status === 'failed')
        return { kind: 'failed', reason: `${step.name} failed: ${previous.error ?? 'unknown error'}` };
      const ended = await this.runStep(step, previous, pending);
      if (ended.kind !== 'done') return ended;
    }
    return { kind: 'done' };
  }

  /**
   * Runs one step until it is done (recorded in memory; the next write
   * carries it), pauses, or fails. `previous` is its record from before a
   * restart; `pending.change` goes with the first write.
   */
  private async runStep(
    step: StepDefinition,
    previous: StepRecord | undefined,
    pending: { change?: Partial<JournalEntry> },
  ): Promise<StepEnd> {
    const { name } = step;
    const startedAt = previous?.startedAt ?? this.j.now();
    // Attempts started before a restart count against the budget: a crash loop does not reset it.
    const before = previous?.status === 'started' ? previous : undefined;
    if (this.stopping()) return this.interrupt(name, 'before');
    const tried = await this.retry(
      name,
      { used: before?.attempts ?? 0, error: before?.error },
      {
        // Each attempt is on disk before it starts.
        record: async (attempts, error) => {
          // A step part-way (health checks passed so far) keeps its progress for the attempt to read.
          await this.j.putStep(
            { name, status: 'started', attempts, startedAt, error, data: before?.data },
            pending.change,
          );
          pending.change = undefined;
        },
        run: (ctx) => step.run(this.t, ctx, this.deps, this.j.recorded()),
      },
    );
    const { attempts } = tried;
    if (!tried.ok && this.stopping()) {
      // Cut short by the stop, not failed: the attempt is handed back and the step runs again at the next start.
      const handedBack = Math.max(before?.attempts ?? 0, attempts - 1);
      await this.j.putStep({
        name,
        status: 'started',
        attempts: handedBack,
        startedAt,
        error: before?.error,
        data: before?.data,
      });
      return this.interrupt(name, 'during');
    }
    if (!tried.ok) {
      const error = messageOf(tried.error);
      // What the failed run had changed (or its progress before) is kept, for its undo to read.
      const data = failureDataOf(tried.error) ?? before?.data;
      await this.j.putStep({
        name,
        status: 'failed',
        attempts,
        startedAt,
        endedAt: this.j.now(),
        error,
        data,
      });
      this.log.warn({ err: tried.error, step: name, attempts }, 'Step failed; rolling back');
      return { kind: 'failed', reason: `${name} failed: ${error}` };
    }
    const result: StepResult = tried.value;
    if ('waiting' in result) {
      // The step answered: coming back later is not a failure, so the next look starts a fresh budget.
      // What the step had done before it waits (health checks passed) is kept for when it goes on.
      this.j.setStep({ name, status: 'started', attempts: 0, startedAt, data: result.progress });
      await this.j.save({ status: 'waiting', reason: result.waiting, until: result.until?.toISOString() });
      // Told when the wait begins or its reason changes, not at every look that finds it still waiting.
      if (this.j.resumedWait?.reason !== result.waiting)
        this.log.info({ step: name, reason: result.waiting, until: result.until }, 'Transition waiting');
      return PAUSED;
    }
    if ('again' in result) {
      // Part-way (a health check passed): its progress on disk, the transition comes back at its time, and
      // each part starts a fresh budget, since it succeeded.
      this.j.setStep({ name, status: 'started', attempts: 0, startedAt, data: result.progress });
      await this.j.save({ status: 'running', reason: result.note, until: result.again.toISOString() });
      return PAUSED;
    }
    this.j.setStep({ name, status: 'done', attempts, startedAt, endedAt: this.j.now(), data: result.data });
    const seconds = (Date.parse(this.j.now()) - Date.parse(startedAt)) / 1000;
    this.deps.observeStep?.(name, seconds);
    this.log.info({ step: name, attempts, seconds }, 'Step done');
    return { kind: 'done' };
  }

  private compensate(): Promise<void> {
    return undoTransition({
      t: this.t,
      deps: this.deps,
      j: this.j,
      log: this.log,
      retry: (step, spent, work) => this.retry(step, spent, work),
      stopping: () => this.stopping(),
    });
  }

  private stopping(): boolean {
    return this.deps.signal?.aborted === true;
  }

  /** Leaves the transition open where it stands, saying so: it resumes with `step` at the next start. */
  private async interrupt(step: StepName, when: 'before' | 'during'): Promise<StepEnd> {
    const reason = `stopped ${when} ${step}; resumes when the controller starts again`;
    await this.j.save({ status: 'waiting', reason, until: undefined });
    this.log.info({ step, reason }, 'Transition left open: the controller is stopping');
    return PAUSED;
  }

  /** Runs `work` within the step's retry budget (see tryWithBudget), attempts numbered for the providers. */
  private retry<T>(step: StepName, spent: Spent, work: BudgetedWork<T>): Promise<Tried<T>> {
    return tryWithBudget(this.deps.retry, spent, {
      ...work,
      signal: this.deps.signal,
      onRetry: (err, attempt, retriesLeft) =>
        this.log.warn({ err, step, attempt, retriesLeft }, 'Step attempt failed; retrying'),
      context: (attempt) => this.context(step, attempt),
    });
  }

  private context(step: StepName, attempt: number): CallContext {
    const p = this.t.planned;
    return { constellation: this.deps.constellation, group: p.group, transition: p.id, step, attempt };
  }
}
