/**
 * The durable journal of transitions: each step is recorded before it runs and
 * after it ends, so a restarted controller knows exactly where every
 * transition stood. The engine owns the journal's shape and the store's
 * interface; the file store is state/journal-store.ts. This module imports
 * nothing at run time, so stores may use its helpers without a cycle.
 */
import type { GroupSnapshot } from '../state/types.js';
import type { StepName } from './step-names.js';
import type { TransitionTarget } from './steps.js';

export type StepStatus = 'started' | 'done' | 'failed' | 'compensating' | 'compensated';

/** One step of a transition as it happened. */
export interface StepRecord {
  readonly name: StepName;
  readonly status: StepStatus;
  /**
   * Attempts of the step started, across restarts of the controller: each is
   * recorded before it starts, so the retry budget survives a crash loop.
   * Back to 0 when the step answers that it must wait.
   */
  readonly attempts: number;
  readonly startedAt: string;
  readonly endedAt?: string;
  /** Why the step failed; while it is retried, the error of the last failed attempt. */
  readonly error?: string;
  /** Attempts of the step's compensation started, across restarts, as `attempts` counts the step's. */
  readonly undoAttempts?: number;
  /** While the compensation is retried, or once it failed: the error of its last failed attempt. */
  readonly undoError?: string;
  /** Side data for diagnosis and for resuming (for example which colour is new). */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** running and rolling-back are in progress; waiting comes back later; the rest are final. */
export type TransitionStatus =
  'running' | 'waiting' | 'rolling-back' | 'succeeded' | 'rolled-back' | 'emergency';

export interface JournalEntry {
  readonly id: string;
  readonly group: string;
  readonly ring: string;
  readonly commit: string;
  readonly from?: GroupSnapshot;
  readonly to?: GroupSnapshot;
  readonly status: TransitionStatus;
  readonly steps: readonly StepRecord[];
  readonly startedAt: string;
  readonly endedAt?: string;
  /** Why the transition waits, failed or needs a human; while running between two checks, what it does. */
  readonly reason?: string;
  /** When the transition's status last changed (ISO 8601): its current state began then. */
  readonly since?: string;
  /**
   * When it comes back, where known: running between two health checks, the
   * next check; waiting, the end of the wait (a keep window). ISO 8601.
   */
  readonly until?: string;
  /** Everything the steps need, so a resumed transition does not depend on the desired state of a newer commit. */
  readonly target?: TransitionTarget;
  /**
   * Rolled back because a newer commit asks again for what the group ran, not
   * because anything failed: the group is not held for it.
   */
  readonly cancelled?: boolean;
  /** How a human resolved an emergency (`ringmaster recover`). */
  readonly recovery?: { readonly to: 'previous' | 'target' | 'cut-back'; readonly at: string };
}

/** What a reconcile keeps of each transition it ran: enough to report it, without its steps and target. */
export type TransitionSummary = Pick<
  JournalEntry,
  'id' | 'group' | 'ring' | 'commit' | 'status' | 'reason' | 'startedAt' | 'endedAt'
> & {
  /** The tenants the transition moves into its group, and the group they leave. */
  readonly moved?: { readonly tenants: readonly string[]; readonly from: string };
};

export function summarize(e: JournalEntry): TransitionSummary {
  const { id, group, ring, commit, status, reason, startedAt, endedAt } = e;
  const move = e.target?.planned.moveIn;
  return {
    id,
    group,
    ring,
    commit,
    status,
    reason,
    startedAt,
    endedAt,
    ...(move ? { moved: { tenants: move.tenants, from: move.from } } : {}),
  };
}

/** True for the statuses a transition never leaves. */
export function isFinal(status: TransitionStatus): boolean {
  return status === 'succeeded' || status === 'rolled-back' || status === 'emergency';
}

/** Where journals live. */
/** Which transitions a history holds. */
export interface HistoryFilter {
  readonly group?: string;
  readonly commit?: string;
}

export interface JournalStore {
  load(id: string): Promise<JournalEntry | undefined>;
  save(entry: JournalEntry): Promise<void>;
  /** Every journal that is not final: what a restarted controller must resume. */
  listOpen(): Promise<JournalEntry[]>;
  /**
   * Every transition held, under way or ended, of `filter.group` and of
   * `filter.commit` (whole, or its first 7 or more hex digits); all when
   * neither is given. Newest first.
   */
  history(filter?: HistoryFilter): Promise<JournalEntry[]>;
}

/**
 * What a person must do for `e` to go on, when it waits with no time to come
 * back at: approve its gate, or decide on an inconclusive health measurement
 * of its grace or observe period (approve, or retry). A transition stopped by
 * a shutdown waits for nobody: the next start resumes it.
 */
export function waitingForPerson(e: JournalEntry): 'gate' | 'measurement' | undefined {
  if (e.status !== 'waiting' || e.until !== undefined || /^stopped /.test(e.reason ?? '')) return undefined;
  const step = e.steps.findLast((s) => s.status === 'started')?.name;
  return step === 'gate' ? 'gate' : step === 'verify' || step === 'observe' ? 'measurement' : undefined;
}
