/**
 * The live controller: each group's transition is an item of a work queue,
 * looks at the branch never wait for work, and waits hold no worker.
 *
 * - A look (`look`) takes the desired state of a commit, re-reads the applied
 *   state, admits what may start (see plan/admission.ts) and hands it to the
 *   queue, ring by ring, up to each ring's maxParallel transitions under way;
 *   what it admitted before and has not started is replaced (a newer commit
 *   replans what has not started; what is under way finishes, unless the
 *   commit asks again for what its group runs: then it is undone).
 * - A worker runs one group's transition until it ends, waits or pauses
 *   between two health checks: the group then comes back at its time
 *   (requeue-after) without holding a worker, and a slot of its ring freed by
 *   an end or a wait is filled at once.
 * - Waits whose end is known (bake, freeze, window) make the controller look
 *   again at that time; an approval arrives with the commit a look reads.
 * - `stop` lets no step start, abandons the waits, and resolves once the
 *   workers under way have returned; the journal keeps where each stood.
 * - The status is the one summary (loop/summary.ts) of the state as it is,
 *   kept and written by loop/live-status.ts.
 */
import { applyOutcomes } from '../engine/apply-outcome.js';
import { type JournalEntry, isFinal, summarize } from '../engine/journal.js';
import { pruneNeverDeployed, targetFor, workPriority } from '../engine/targets.js';
import { type EngineDeps, type TransitionOutcome, runTransition } from '../engine/run-transition.js';
import type { TransitionTarget } from '../engine/steps.js';
import type { TransitionPlan } from '../plan/transitions.js';
import type { ControllerStatus } from '../state/status-view.js';
import { type AppliedGroup, type AppliedState, emptyAppliedState } from '../state/types.js';
import { type Timer, earliest } from './clock.js';
import { failuresByRing } from '../plan/admission.js';
import { LiveStatus } from './live-status.js';
import { summarizeState } from './summary.js';
import { RingSlots } from './ring-slots.js';
import type { Followed, LiveControllerDeps, LookReport } from './live-types.js';
import { WorkQueue } from './work-queue.js';

/** See the module comment. */
export class LiveController {
  readonly #deps: LiveControllerDeps;
  readonly #queue: WorkQueue<string>;
  #followed?: Followed;
  #applied?: AppliedState;
  /** The working copy of the applied groups, changed in place as transitions end. */
  #groups: Record<string, AppliedGroup> = {};
  /** Open journal entries by group, as last known. */
  readonly #open = new Map<string, JournalEntry>();
  /** Open transitions to undo at their next run, and why: a newer commit asks again for what their group runs. */
  readonly #cancel = new Map<string, string>();
  /** What waits for a slot of its ring, what holds one, and each ring's failures. */
  readonly #rings = new RingSlots();
  /** Targets handed to the queue and not started yet, by group. */
  readonly #planned = new Map<string, TransitionTarget>();
  #plan?: TransitionPlan;
  #resumed = false;
  #wake?: Timer;
  #nextWake?: Date;
  readonly #status: LiveStatus;

  constructor(deps: LiveControllerDeps) {
    this.#deps = deps;
    this.#status = new LiveStatus(deps, () =>
      this.#followed && this.#applied
        ? {
            followed: this.#followed,
            applied: this.#applied,
            plan: this.#plan,
            open: [...this.#open.values()],
          }
        : undefined,
    );
    this.#queue = new WorkQueue<string>({
      workers: deps.workers,
      clock: deps.clock,
      work: (group) => this.#work(group),
      priority: (group) => workPriority(this.#followed?.constellation, group),
      onError: (group, err) =>
        deps.log.error({ err, group }, 'Transition work failed; tried again at the next look'),
    });
  }

  /**
   * The status as it stands now (built at most once a second while nothing
   * changes: it reads every group). Throws before the first look.
   */
  status(): ControllerStatus {
    return this.#status.current();
  }

  /** The commit the last look applied, with its desired state. */
  get followed(): Followed | undefined {
    return this.#followed;
  }

  /** True once a look has been made. */
  get ready(): boolean {
    return this.#followed !== undefined;
  }

  /**
   * Applies `followed`: re-reads the applied state and the records, resumes
   * what the journal holds open (at the first look), admits what may start
   * now and hands it to the queue. Returns without waiting for the work.
   */
  async look(followed: Followed): Promise<LookReport> {
    const { constellation: desired, commit } = followed;
    const loaded = (await this.#deps.state.loadApplied()) ?? emptyAppliedState(desired.name);
    const groups = { ...loaded.groups };
    this.#groups = groups;
    this.#applied = { ...loaded, groups };
    const pruned = pruneNeverDeployed(groups, desired);
    if (pruned.length) await this.#deps.state.saveApplied(this.#applied, pruned);
    const records = await this.#status.reload();
    const before = this.#followed?.constellation;
    this.#followed = followed;
    if (!this.#resumed) await this.#resume();
    // An approval, or a retry just arrived, comes with a commit: transitions waiting for a person look again.
    // (A retry already seen is spent: waking for it at every look would only repeat the wait.)
    const arrived = (id: string) => desired.retries.has(id) && !before?.retries.has(id);
    for (const e of this.#open.values())
      if (e.status === 'waiting' && !e.until && (desired.approvals.has(e.id) || arrived(e.id)))
        this.#queue.add(e.group);
    const busy = new Set([...this.#open.keys(), ...this.#planned.keys()]);
    const summary = summarizeState({
      desired,
      commit,
      applied: this.#applied,
      records,
      open: [...this.#open.values()],
      now: this.#deps.clock.now(),
      head: followed.head,
    });
    const { plan, admitted, waiting } = summary.preview;
    this.#rings.setFailures(failuresByRing(desired, commit, this.#applied));
    this.#plan = plan;
    this.#cancelReturned(plan, commit);
    // What was admitted before and has not started is replaced by this look's admission.
    for (const [group] of this.#planned) if (!this.#queue.running.has(group)) this.#unplan(group);
    this.#rings.admit(admitted, (t) => busy.has(t.group) && this.#planned.has(t.group));
    const started: string[] = [];
    for (const ring of desired.rings) started.push(...this.#fill(ring.name));
    this.#scheduleWake(waiting.map((w) => w.until).filter((u): u is string => u !== undefined));
    this.#status.mark();
    // The status of this state is the summary just built (nothing started has been journaled yet).
    this.#status.built(summary.status);
    return { plan, started };
  }

  /**
   * Resolves once nothing runs, nothing is due, no health check waits, and
   * the statuses are written; with `scheduled`, once no transition waits for
   * a known time either (a keep or maintenance window).
   */
  async settled(options: { scheduled?: boolean } = {}): Promise<void> {
    await this.#queue.settled(options);
    await this.#status.flush();
  }

  /** When the nearest wait with a known end that the last look found (bake, freeze, window) ends. */
  get nextWake(): Date | undefined {
    return this.#nextWake;
  }

  /**
   * Stops: nothing starts after it, waits are called off, and it resolves
   * once the workers under way returned (the engine's signal makes them
   * return soon) and the statuses are written.
   */
  async stop(): Promise<void> {
    this.#queue.stop();
    this.#wake?.cancel();
    this.#nextWake = undefined;
    await this.#queue.idle();
    await this.#status.flush();
  }

  async #resume(): Promise<void> {
    this.#resumed = true;
    for (const e of await this.#deps.engine.journal.listOpen()) {
      this.#open.set(e.group, e);
      if (!e.target) continue;
      if (e.status === 'waiting' && e.until) this.#queue.addAt(e.group, new Date(e.until));
      else if (e.status === 'waiting' && !/^stopped /.test(e.reason ?? '')) {
        // At its gate: the look that follows wakes it when its approval has arrived, and only then.
      } else {
        this.#rings.held(e.ring).add(e.group);
        if (e.until) this.#queue.addAt(e.group, new Date(e.until), { progress: true });
        else this.#queue.add(e.group);
      }
    }
  }

  /** Starts admitted transitions of `ring` while it has free slots; returns their ids. */
  #fill(ring: string): string[] {
    const followed = this.#followed!;
    const rules = followed.constellation.policy.rings[ring];
    const started: string[] = [];
    // Stopping, or the ring's failure budget spent: nothing more starts there.
    if (this.#deps.engine.signal?.aborted) return started;
    if (this.#rings.halted(ring, rules?.failureBudget ?? 0)) return started;
    for (;;) {
      const t = this.#rings.next(ring, rules?.maxParallel ?? 1);
      if (!t) break;
      // Under way already: it finishes what it started. Due but not started: it takes the new target.
      if (this.#open.has(t.group) || this.#queue.running.has(t.group)) continue;
      this.#planned.set(t.group, targetFor(followed.constellation, t));
      this.#rings.held(ring).add(t.group);
      this.#queue.add(t.group);
      started.push(t.id);
    }
    return started;
  }

  #unplan(group: string): void {
    const target = this.#planned.get(group);
    if (!target) return;
    this.#planned.delete(group);
    this.#rings.held(target.planned.ring).delete(group);
  }

  async #work(group: string): Promise<void> {
    const open = this.#open.get(group);
    const target = open?.target ?? this.#planned.get(group);
    if (!target) return;
    this.#planned.delete(group);
    const engine = this.#engineDeps();
    const cancel = open ? this.#cancel.get(group) : undefined;
    this.#cancel.delete(group);
    const outcome = await runTransition(target, engine, cancel ? { cancel } : {});
    await this.#settle(group, target, outcome);
  }

  /**
   * A transition under way or waiting whose group the commit followed now
   * asks for as it runs (the ring went back to its release, say) has nothing
   * left to do but undo itself: it is undone at once where it pauses (between
   * two health checks, at its gate, in a keep window), or when the step under
   * way returns. What the commit asks of other groups is left to finish.
   */
  #cancelReturned(plan: TransitionPlan, commit: string): void {
    const asked = new Set([...plan.transitions.map((t) => t.group), ...plan.blocked.map((b) => b.group)]);
    for (const e of this.#open.values()) {
      if (!e.target || e.status === 'rolling-back' || asked.has(e.group) || this.#cancel.has(e.group))
        continue;
      this.#cancel.set(
        e.group,
        `superseded: commit ${commit.slice(0, 12)} asks again for what ${e.group} runs`,
      );
      this.#queue.add(e.group);
    }
  }

  /** Engine deps for one run: approvals are read from the commit followed now. */
  #engineDeps(): EngineDeps {
    return {
      ...this.#deps.engine,
      constellation: this.#followed!.constellation.name,
      isApproved: this.#deps.isApproved ?? (async (id) => this.#followed!.constellation.approvals.has(id)),
      isRetried: async (id) => this.#followed!.constellation.retries.has(id),
      // The status shows the step under way from the moment it is journaled, not when the run returns.
      onProgress: (entry) => {
        if (isFinal(entry.status)) return;
        this.#open.set(entry.group, entry);
        this.#status.changed();
      },
    };
  }

  /** Records how a run of `group`'s transition ended, and fills the slot it leaves. */
  async #settle(group: string, target: TransitionTarget, outcome: TransitionOutcome): Promise<void> {
    const entry = outcome.entry;
    const ring = target.planned.ring;
    const pausedForCheck = entry.status === 'running' && entry.until !== undefined;
    let failed = false;
    if (isFinal(entry.status)) {
      this.#open.delete(group);
      applyOutcomes(this.#groups, [entry], this.#deps.clock.now());
      // The status shows the end from now on, not the state cached before it.
      this.#status.changed();
      await this.#deps.state.saveApplied(this.#applied!, [group]);
      this.#status.ended(summarize(entry));
      failed = (entry.status === 'rolled-back' && !entry.cancelled) || entry.status === 'emergency';
      if (failed) this.#rings.countFailure(ring);
      this.#rings.held(ring).delete(group);
    } else {
      this.#open.set(group, entry);
      if (pausedForCheck) this.#queue.addAt(group, new Date(entry.until!), { progress: true });
      else {
        // Waiting (a gate, a keep window) or stopped: the ring's slot goes to the next group.
        this.#rings.held(ring).delete(group);
        if (entry.status === 'waiting' && entry.until) this.#queue.addAt(group, new Date(entry.until));
      }
    }
    if (!pausedForCheck) {
      // Told once the state says so too: whoever reads "succeeded" and then the status finds the group ready.
      this.#deps.onTransition?.(entry);
      this.#fill(ring);
    }
    // A failure, or the end of the last transition under way in its ring, changes the ring's state: shown at once.
    this.#status.mark(isFinal(entry.status) && (failed || this.#rings.held(ring).size === 0));
  }

  /** Looks again when the nearest known end of a wait comes. */
  #scheduleWake(untils: readonly string[]): void {
    this.#wake?.cancel();
    this.#wake = undefined;
    const next = earliest(untils);
    this.#nextWake = next;
    const wake = this.#deps.onWake;
    if (next && wake) this.#wake = this.#deps.clock.at(next, () => wake());
  }
}
