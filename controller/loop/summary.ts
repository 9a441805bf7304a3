/**
 * The one summariser: from the state as it is now (the desired commit, the
 * applied state, the rollout records, the journals under way and the clock)
 * it builds the status every view shows: `status --json`, `/api/status`, the
 * page, the console and the commit statuses. Pure: the running controller
 * and `ringmaster status` read the same state and get the same document.
 */
import type { JournalEntry } from '../engine/journal.js';
import { summarize as summarizeEntry } from '../engine/journal.js';
import { buildStatus } from '../engine/status-build.js';
import type { Constellation } from '../model/types.js';
import { type RunPreview, type Waiting, previewRun } from '../plan/admission.js';
import type { RolloutRecords } from '../state/records.js';
import type { ControllerStatus, HeadProblem, MoveView } from '../state/status-view.js';
import type { AppliedState } from '../state/types.js';

/** Everything the status is built from. */
export interface StatusFacts {
  readonly desired: Constellation;
  /** The commit the desired state was read from (the one followed). */
  readonly commit: string;
  readonly applied: AppliedState;
  readonly records: RolloutRecords;
  /** Transitions under way or waiting, as the journal holds them. */
  readonly open: readonly JournalEntry[];
  readonly now: Date;
  /** A newer head the controller does not follow, and why. */
  readonly head?: HeadProblem;
}

/** The status and the admission it was judged with (what would start now). */
export interface Summary {
  readonly status: ControllerStatus;
  readonly preview: RunPreview;
}

/** Builds the status from `f` (see the module comment). */
export function summarizeState(f: StatusFacts): Summary {
  const busy = new Set(f.open.map((e) => e.group));
  const preview = previewRun(f.desired, f.commit, f.applied, f.records, f.now, busy);
  const fromJournal: Waiting[] = f.open
    .filter((e) => e.status === 'waiting')
    .map((e) => ({ group: e.group, reason: e.reason ?? 'waiting', until: e.until }));
  const status = buildStatus({
    desired: f.desired,
    commit: f.commit,
    applied: f.applied,
    waiting: [...fromJournal, ...preview.waiting],
    halted: preview.halted,
    ran: f.open.map(summarizeEntry),
    open: f.open,
    now: f.now,
  });
  const moves = preview.plan.moves.map((m): MoveView => {
    const joining = status.groups.find((g) => g.name === m.to);
    return {
      ...m,
      state: joining?.state ?? 'waiting',
      ...(joining?.step ? { step: joining.step } : {}),
      ...(joining?.reason ? { reason: joining.reason } : {}),
    };
  });
  return {
    status: { ...status, ...(f.head ? { head: f.head } : {}), ...(moves.length ? { moves } : {}) },
    preview,
  };
}
