/**
 * The live controller's status: the one summary (loop/summary.ts) of its
 * state as it is, built at most once a second while nothing changes (it
 * reads every group), and the rollout records and rings' commit statuses
 * written from it: at once for a commit not written yet or when asked (a
 * failure, a ring's last transition ending), else at most once per interval.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { JournalEntry, TransitionSummary } from '../engine/journal.js';
import type { TransitionPlan } from '../plan/transitions.js';
import type { StateStore } from '../state/file-store.js';
import type { RolloutRecords } from '../state/records.js';
import type { ControllerStatus } from '../state/status-view.js';
import type { AppliedState } from '../state/types.js';
import type { StatusReporter } from '../status/reporter.js';
import type { Clock } from './clock.js';
import type { Followed } from './live-types.js';
import { StatusSync } from './status-sync.js';
import { summarizeState } from './summary.js';
import { ThrottledWrite } from './throttled-write.js';

/** Statuses and records are brought up to date at most this often while work goes on (real time). */
const WRITE_EVERY_MS = 1000;

/** The controller's state the status is built from; undefined before the first look. */
export interface LiveView {
  readonly followed: Followed;
  readonly applied: AppliedState;
  /** Absent while the first look is still planning. */
  readonly plan?: TransitionPlan;
  /** Open journal entries, as last known. */
  readonly open: readonly JournalEntry[];
}

export interface LiveStatusDeps {
  readonly state: StateStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly reporter?: StatusReporter;
  readonly targetUrl?: (commit: string, ring: string) => string;
  /** Least real time between two writes that only show progress; default 1 s. */
  readonly statusEveryMs?: number;
}

/** See the module comment. */
export class LiveStatus {
  readonly #deps: LiveStatusDeps;
  readonly #view: () => LiveView | undefined;
  readonly #sync: StatusSync;
  readonly #write: ThrottledWrite;
  /** The commit whose statuses were last asked for. */
  #commit?: string;
  /** Bumped at every change the status shows. */
  #version = 0;
  #cache?: { readonly version: number; readonly at: number; readonly status: ControllerStatus };
  /** Transitions ended since the statuses were last written. */
  #ended: TransitionSummary[] = [];

  constructor(deps: LiveStatusDeps, view: () => LiveView | undefined) {
    this.#deps = deps;
    this.#view = view;
    this.#sync = new StatusSync(deps);
    this.#write = new ThrottledWrite(
      () => this.#writeNow(),
      deps.statusEveryMs ?? WRITE_EVERY_MS,
      (err) =>
        deps.log.warn({ err }, 'Statuses and records not brought up to date; tried again at the next change'),
    );
  }

  /** Reads the rollout records again from the state (a look does, at its start). */
  reload(): Promise<RolloutRecords> {
    return this.#sync.reload();
  }

  /** The status as it stands now. Throws before the first look. */
  current(): ControllerStatus {
    const view = this.#view();
    if (!view) throw new Error('LiveController.status: no look yet');
    const cached = this.#cache;
    if (cached && cached.version === this.#version && performance.now() - cached.at < WRITE_EVERY_MS)
      return cached.status;
    const { followed: f } = view;
    const status = summarizeState({
      desired: f.constellation,
      commit: f.commit,
      applied: view.applied,
      records: this.#sync.records,
      open: view.open,
      now: this.#deps.clock.now(),
      head: f.head,
    }).status;
    this.#cache = { version: this.#version, at: performance.now(), status };
    return status;
  }

  /** Takes `status`, just built by a look from the state as it is now, as the current one: not built twice. */
  built(status: ControllerStatus): void {
    this.#cache = { version: this.#version, at: performance.now(), status };
  }

  /** A change the status shows (a step journaled, say), with no write asked for. */
  changed(): void {
    this.#version++;
  }

  /** A transition ended: the next write reports it. */
  ended(summary: TransitionSummary): void {
    this.#ended.push(summary);
  }

  /**
   * Marks a change the status shows, and asks for the statuses and records to
   * be brought up to date: at once when `now` or for a commit not written yet
   * (its first statuses tell the people who merged it that it is read), else
   * within the interval (building them reads every group).
   */
  mark(now = false): void {
    this.#version++;
    const commit = this.#view()?.followed.commit;
    if (commit === this.#commit && !now) return this.#write.mark();
    this.#commit = commit;
    // Never rejects: a failed write is logged by the ThrottledWrite and left to the next mark.
    void this.#write.flush();
  }

  /** Writes now, after any write under way, and waits for it. */
  flush(): Promise<void> {
    return this.#write.flush();
  }

  async #writeNow(): Promise<void> {
    const view = this.#view();
    if (!view?.plan) return;
    const ended = this.#ended;
    this.#ended = [];
    await this.#sync.write({
      desired: view.followed.constellation,
      commit: view.followed.commit,
      applied: view.applied,
      plan: view.plan,
      status: this.current(),
      open: view.open,
      ended,
      now: this.#deps.clock.now(),
    });
  }
}
