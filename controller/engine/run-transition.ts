/**
 * Runs one transition through its steps with the journal as the source of
 * truth: a step is recorded before and after it runs, transient errors are
 * retried with back-off, a permanent error runs the compensations of the steps
 * done so far in reverse, and a failed compensation leaves the group in
 * emergency. Calling it again with the same transition resumes where the
 * journal says; a final transition is returned as it ended.
 */
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { isTransient } from '../errors.js';
import type { CallContext, StepName } from '../providers/ports.js';
import {
  type JournalEntry,
  type JournalStore,
  type StepRecord,
  type TransitionStatus,
  isFinal,
} from './journal.js';
import {
  type Recorded,
  STEP_DEFINITIONS,
  type StepDeps,
  type StepResult,
  type TransitionTarget,
} from './steps.js';

/** How transient failures are retried: `retries` more tries, back-off doubling from min to max. */
export interface RetryPolicy {
  readonly retries: number;
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

export interface EngineDeps extends StepDeps {
  readonly journal: JournalStore;
  readonly constellation: string;
  readonly retry: RetryPolicy;
  readonly log: Logger;
  /** Told how long each step took, retries included. */
  readonly observeStep?: (step: StepName, seconds: number) => void;
}

/** How a run of a transition ended (for now: waiting is not final). */
export interface TransitionOutcome {
  readonly status: TransitionStatus;
  readonly reason?: string;
  readonly entry: JournalEntry;
}

/** Runs or resumes `t`; see the module comment. Throws only when the journal cannot be written. */
export async function runTransition(t: TransitionTarget, deps: EngineDeps): Promise<TransitionOutcome> {
  const run = new Run(t, deps, (await deps.journal.load(t.planned.id)) ?? newEntry(t, deps.now()));
  return run.execute();
}

function newEntry(t: TransitionTarget, now: Date): JournalEntry {
  const p = t.planned;
  return {
    id: p.id,
    group: p.group,
    ring: p.ring,
    commit: p.commit,
    from: p.from,
    to: p.to,
    status: 'running',
    steps: [],
    startedAt: now.toISOString(),
    target: t,
  };
}

class Run {
  private readonly log: Logger;

  constructor(
    private readonly t: TransitionTarget,
    private readonly deps: EngineDeps,
    private entry: JournalEntry,
  ) {
    const p = t.planned;
    this.log = deps.log.child({
      constellation: deps.constellation,
      ring: p.ring,
      group: p.group,
      transition: p.id,
    });
  }

  async execute(): Promise<TransitionOutcome> {
    if (isFinal(this.entry.status)) return this.outcome();
    if (this.entry.status !== 'rolling-back') {
      const failure = await this.forward();
      if (failure === 'waiting') return this.outcome();
      if (!failure) {
        await this.save({ status: 'succeeded', endedAt: this.now(), reason: undefined });
        this.log.info({ changes: this.t.planned.changes }, 'Transition succeeded');
        return this.outcome();
      }
      await this.save({ status: 'rolling-back', reason: failure });
    }
    await this.compensate();
    return this.outcome();
  }

  /**
   * Runs the steps not yet done; returns undefined when all are done, 'waiting',
   * or the failure's reason. The end of one step and the start of the next are
   * one journal write: the end is on disk before the next step touches
   * anything, at half the writes. The last step's end is written with the
   * transition's own end by the caller.
   */
  private async forward(): Promise<string | 'waiting' | undefined> {
    // The first write also marks the transition running again (after a wait, or a restart).
    let pending: Partial<JournalEntry> = { status: 'running', reason: undefined };
    for (const step of STEP_DEFINITIONS.filter((s) => s.applies(this.t))) {
      const previous = this.record(step.name);
      if (previous?.status === 'done') continue;
      // Failed before a crash, rollback not yet recorded: a permanent failure is never retried.
      if (previous?.status === 'failed') return `${step.name} failed: ${previous.error ?? 'unknown error'}`;
      const started = previous?.startedAt ?? this.now();
      await this.putStep({ name: step.name, status: 'started', attempts: 0, startedAt: started }, pending);
      pending = {};
      let attempts = 0;
      try {
        const result: StepResult = await this.retry(step.name, (ctx) => {
          attempts = ctx.attempt;
          return step.run(this.t, ctx, this.deps, this.recorded());
        });
        if ('waiting' in result) {
          await this.save({ status: 'waiting', reason: result.waiting });
          this.log.info({ step: step.name, reason: result.waiting }, 'Transition waiting');
          return 'waiting';
        }
        this.setStep({
          name: step.name,
          status: 'done',
          attempts,
          startedAt: started,
          endedAt: this.now(),
          data: result.data,
        });
        this.deps.observeStep?.(step.name, (Date.parse(this.now()) - Date.parse(started)) / 1000);
      } catch (err) {
        const reason = `${step.name} failed: ${messageOf(err)}`;
        await this.putStep({
          name: step.name,
          status: 'failed',
          attempts,
          startedAt: started,
          endedAt: this.now(),
          error: messageOf(err),
        });
        this.log.warn({ err, step: step.name, attempts }, 'Step failed; rolling back');
        return reason;
      }
    }
    return undefined;
  }

  /** Undoes what was done, newest first. A cutover that failed may have moved traffic: it is undone too. */
  private async compensate(): Promise<void> {
    const undo = [...this.entry.steps]
      .reverse()
      .filter(
        (r) =>
          r.status === 'done' ||
          r.status === 'compensating' ||
          (r.name === 'cutover' && r.status === 'failed'),
      )
      .map((r) => [r, STEP_DEFINITIONS.find((s) => s.name === r.name)!] as const)
      .filter(([, def]) => def.compensate !== undefined);
    for (const [record, def] of undo) {
      await this.putStep({ ...record, status: 'compensating' });
      try {
        await this.retry(def.name, (ctx) => def.compensate!(this.t, ctx, this.deps, this.recorded()));
        await this.putStep({ ...record, status: 'compensated', endedAt: this.now() });
      } catch (err) {
        const reason = `${this.entry.reason ?? 'rollback'}; undoing ${def.name} failed too: ${messageOf(err)}`;
        await this.save({ status: 'emergency', reason, endedAt: this.now() });
        this.log.error(
          { err, step: def.name },
          'Compensation failed; group needs a human (ringmaster recover)',
        );
        return;
      }
    }
    await this.save({ status: 'rolled-back', endedAt: this.now() });
    this.log.warn({ reason: this.entry.reason }, 'Transition rolled back');
  }

  private retry<T>(step: StepName, fn: (ctx: CallContext) => Promise<T>): Promise<T> {
    let attempt = 0;
    const { retries, minTimeoutMs, maxTimeoutMs } = this.deps.retry;
    return pRetry(() => fn(this.context(step, ++attempt)), {
      retries,
      minTimeout: minTimeoutMs,
      maxTimeout: maxTimeoutMs,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => isTransient(error),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (isTransient(error) && retriesLeft > 0)
          this.log.warn(
            { err: error, step, attempt: attemptNumber, retriesLeft },
            'Step attempt failed; retrying',
          );
      },
    });
  }

  private context(step: StepName, attempt: number): CallContext {
    const p = this.t.planned;
    return { constellation: this.deps.constellation, group: p.group, transition: p.id, step, attempt };
  }

  private record(name: StepName): StepRecord | undefined {
    return this.entry.steps.find((s) => s.name === name);
  }

  private recorded(): Recorded {
    return Object.fromEntries(this.entry.steps.filter((s) => s.data).map((s) => [s.name, s.data!]));
  }

  /** Records `record` (and `change`) in the journal, on disk before it returns. */
  private async putStep(record: StepRecord, change: Partial<JournalEntry> = {}): Promise<void> {
    this.setStep(record);
    await this.save(change);
  }

  /** Records `record` in memory only: the next save writes it. */
  private setStep(record: StepRecord): void {
    const steps = this.entry.steps.some((s) => s.name === record.name)
      ? this.entry.steps.map((s) => (s.name === record.name ? record : s))
      : [...this.entry.steps, record];
    this.entry = { ...this.entry, steps };
  }

  private async save(change: Partial<JournalEntry>): Promise<void> {
    this.entry = { ...this.entry, ...change };
    await this.deps.journal.save(this.entry);
  }

  private now(): string {
    return this.deps.now().toISOString();
  }

  private outcome(): TransitionOutcome {
    return { status: this.entry.status, reason: this.entry.reason, entry: this.entry };
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
