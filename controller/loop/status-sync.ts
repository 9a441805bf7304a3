/**
 * Bringing the rollout records and the rings' commit statuses up to date
 * with what the controller holds: the records are written only when a ring's
 * rollout started or turned healthy, the statuses through the ledger of what
 * each ring's status last said (loaded once, at the first write).
 */
import type { Logger } from 'pino';
import { updateRecords } from '../engine/apply-outcome.js';
import { type JournalEntry, type TransitionSummary, summarize } from '../engine/journal.js';
import { RingStatusLedger, RingStatusWriter, writeRingStatuses } from '../engine/ring-statuses.js';
import type { Constellation } from '../model/types.js';
import type { TransitionPlan } from '../plan/transitions.js';
import type { StateStore } from '../state/file-store.js';
import type { RolloutRecords } from '../state/records.js';
import type { ControllerStatus } from '../state/status-view.js';
import type { AppliedState } from '../state/types.js';
import type { StatusReporter } from '../status/reporter.js';

/** What the records and statuses are brought up to date with. */
export interface SyncView {
  readonly desired: Constellation;
  readonly commit: string;
  readonly applied: AppliedState;
  readonly plan: TransitionPlan;
  readonly status: ControllerStatus;
  /** Transitions open in the journal. */
  readonly open: readonly JournalEntry[];
  /** Transitions that ended since the last write. */
  readonly ended: readonly TransitionSummary[];
  readonly now: Date;
}

/** The records as last read or written, and the writer of the rings' statuses. */
export class StatusSync {
  #records?: RolloutRecords;
  #writer?: Promise<RingStatusWriter>;

  constructor(
    private readonly deps: {
      readonly state: StateStore;
      readonly log: Logger;
      readonly reporter?: StatusReporter;
      readonly targetUrl?: (commit: string, ring: string) => string;
    },
  ) {}

  /** The records as last read or written. Throws before the first `reload`. */
  get records(): RolloutRecords {
    if (!this.#records) throw new Error('StatusSync.records: not read yet');
    return this.#records;
  }

  /** Reads the records again from the state (a look does, at its start). */
  async reload(): Promise<RolloutRecords> {
    this.#records = await this.deps.state.loadRecords();
    return this.#records;
  }

  /** Writes the records that changed, then the rings' statuses (with a reporter). */
  async write(view: SyncView): Promise<void> {
    const records = updateRecords(this.records, view.desired, view.applied, view.commit, view.now);
    // Written only when a rollout started or turned healthy: a look that changed nothing syncs no file.
    if (records !== this.#records) {
      this.#records = records;
      await this.deps.state.saveRecords(records);
    }
    const { reporter, log, targetUrl } = this.deps;
    if (!reporter) return;
    this.#writer ??= RingStatusLedger.load(this.deps.state).then(
      (ledger) => new RingStatusWriter({ reporter, log, targetUrl }, ledger),
    );
    await writeRingStatuses(await this.#writer, {
      desired: view.desired,
      commit: view.commit,
      applied: view.applied,
      status: view.status,
      plan: view.plan,
      busy: new Set(view.open.map((e) => e.group)),
      ran: [...view.ended, ...view.open.map(summarize)],
      stuck: view.open.filter((e) => !e.target),
    });
  }
}
