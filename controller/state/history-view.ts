/**
 * A transition as `ringmaster history --json` and `/api/history` show it: the
 * journal entry without what only the engine needs (its target, step data).
 */
import type { JournalEntry, StepRecord } from '../engine/journal.js';

export interface HistoryStep {
  readonly name: string;
  readonly status: string;
  readonly attempts: number;
  readonly startedAt: string;
  readonly endedAt?: string;
  /** How long it took, in seconds (one decimal), once ended. */
  readonly seconds?: number;
  readonly error?: string;
  readonly undoError?: string;
}

export interface HistoryItem {
  readonly id: string;
  readonly group: string;
  readonly ring: string;
  readonly commit: string;
  readonly status: string;
  readonly reason?: string;
  /** The release the group ran before, if any. */
  readonly from?: string;
  /** The release it moves to; absent for a removal. */
  readonly to?: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  /** How a human ended its emergency (`ringmaster recover`), and when. */
  readonly recovery?: JournalEntry['recovery'];
  readonly steps: readonly HistoryStep[];
}

export function historyItem(e: JournalEntry): HistoryItem {
  return {
    id: e.id,
    group: e.group,
    ring: e.ring,
    commit: e.commit,
    status: e.status,
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.from ? { from: e.from.release } : {}),
    ...(e.to ? { to: e.to.release } : {}),
    startedAt: e.startedAt,
    ...(e.endedAt ? { endedAt: e.endedAt } : {}),
    ...(e.recovery ? { recovery: e.recovery } : {}),
    steps: e.steps.map((s) => ({
      name: s.name,
      status: s.status,
      attempts: s.attempts,
      startedAt: s.startedAt,
      ...(s.endedAt ? { endedAt: s.endedAt, seconds: stepSeconds(s) } : {}),
      ...(s.error ? { error: s.error } : {}),
      ...(s.undoError ? { undoError: s.undoError } : {}),
    })),
  };
}

/** How long an ended step took, in seconds, to one decimal. */
export function stepSeconds(s: StepRecord): number {
  return Math.round((Date.parse(s.endedAt!) - Date.parse(s.startedAt)) / 100) / 10;
}
