/**
 * One reconcile: resume what the journal left open, plan the commit against
 * the applied state, and run each ring's transitions in waves of maxParallel
 * (groups holding test tenants first) while policy allows, halting a ring
 * whose failure budget is spent. Level-triggered: everything it needs is read
 * from git and the state store each time.
 */
import { performance } from 'node:perf_hooks';
import type { Constellation, RingPolicy } from '../model/types.js';
import { type PlannedTransition, type TransitionPlan, planTransitions } from '../plan/transitions.js';
import { mayChangeGroup, mayStartRing } from '../policy/runtime.js';
import type { StateStore } from '../state/file-store.js';
import type { RolloutRecords } from '../state/records.js';
import type { ControllerStatus } from '../state/status-view.js';
import { type AppliedGroup, type AppliedState, emptyAppliedState } from '../state/types.js';
import type { StatusReporter } from '../status/reporter.js';
import { applyOutcomes, updateRecords } from './apply-outcome.js';
import { type JournalEntry, type TransitionSummary, isFinal, summarize } from './journal.js';
import { type EngineDeps, type TransitionOutcome, runTransition } from './run-transition.js';
import { RingStatusLedger, RingStatusWriter, writeRingStatuses } from './ring-statuses.js';
import { type Halted, type Waiting, buildStatus } from './status-build.js';
import type { TransitionTarget } from './steps.js';

/** How often a ring's rollout status is brought up to date between waves. */
const PROGRESS_EVERY_MS = 1000;

export interface ReconcileDeps {
  readonly engine: EngineDeps;
  readonly state: StateStore;
  readonly reporter?: StatusReporter;
  /** Link from a ring's commit status to the controller's status page. */
  readonly targetUrl?: (commit: string, ring: string) => string;
  /** Told of every transition as it ends or starts waiting, for progress a person can follow. */
  readonly onTransition?: (entry: JournalEntry) => void;
}

export interface ReconcileReport {
  readonly commit: string;
  readonly plan: TransitionPlan;
  /** The transitions that ended or started waiting, in order (their journals hold the steps). */
  readonly ran: readonly TransitionSummary[];
  readonly waiting: readonly Waiting[];
  readonly halted: readonly Halted[];
  readonly status: ControllerStatus;
}

/** Reconciles the groups towards `desired` (the state of `commit`). Throws only when state cannot be read or written. */
export async function reconcileOnce(
  desired: Constellation,
  commit: string,
  deps: ReconcileDeps,
): Promise<ReconcileReport> {
  const now = () => deps.engine.now();
  const loaded = (await deps.state.loadApplied()) ?? emptyAppliedState(desired.name);
  // One working copy per reconcile, brought up to date wave by wave (see applyOutcomes).
  const groups = { ...loaded.groups };
  const applied: AppliedState = { ...loaded, groups };
  const ran: TransitionSummary[] = [];
  const waiting: Waiting[] = [];
  const halted: Halted[] = [];
  const stuck: Pick<TransitionSummary, 'commit' | 'ring'>[] = [];
  const writer =
    deps.reporter &&
    new RingStatusWriter(
      { reporter: deps.reporter, log: deps.engine.log, targetUrl: deps.targetUrl },
      await RingStatusLedger.load(deps.state),
    );
  /** Records transitions that ended or wait: the applied state is written once for all of them. */
  const finish = async (entries: readonly JournalEntry[]) => {
    if (!entries.length) return;
    for (const entry of entries) {
      ran.push(summarize(entry));
      deps.onTransition?.(entry);
      if (!isFinal(entry.status)) waiting.push({ group: entry.group, reason: entry.reason ?? entry.status });
    }
    applyOutcomes(groups, entries, now());
    await deps.state.saveApplied(
      applied,
      entries.map((e) => e.group),
    );
  };

  const pruned = pruneNeverDeployed(groups, desired);
  if (pruned.length) await deps.state.saveApplied(applied, pruned);

  // Work is serialised per group: what the journal left open is finished before anything new starts.
  const stopping = () => deps.engine.signal?.aborted === true;
  for (const open of await deps.engine.journal.listOpen()) {
    // Stopping: what is not resumed stays open in the journal, as it was.
    if (stopping()) {
      stuck.push(open);
      waiting.push({ group: open.group, reason: open.reason ?? 'left open: the controller is stopping' });
    } else if (open.target) await finish([(await runThrough(open.target, deps.engine)).entry]);
    else {
      stuck.push(open);
      waiting.push({
        group: open.group,
        reason: `journal ${open.id} cannot be resumed; recover the group by hand`,
      });
    }
  }
  const busy = new Set(waiting.map((w) => w.group));
  const preview = previewRun(desired, commit, applied, await deps.state.loadRecords(), now(), busy);
  const { plan } = preview;
  waiting.push(...preview.waiting);
  for (const ring of desired.rings) {
    const eligible = preview.admitted.filter((t) => t.ring === ring.name);
    if (!eligible.length) continue;
    const rules = desired.policy.rings[ring.name]!;
    let failures = countFailures(applied, desired, ring.name, commit);
    let reportedAt = -Infinity;
    for (let i = 0; i < eligible.length; i += rules.maxParallel) {
      if (failures > rules.failureBudget || stopping()) break;
      // The ring's status says "pending" as its rollout starts and is brought up to date between waves, at
      // most once a second (building it counts the ring's groups); the end of the reconcile reports how it ended.
      if (writer && performance.now() - reportedAt >= PROGRESS_EVERY_MS) {
        reportedAt = performance.now();
        const facts = { desired, commit, applied, waiting, halted, ran, now: now() };
        await writer.write(commit, buildStatus(facts, ring.name), ring.name);
      }
      const wave = eligible.slice(i, i + rules.maxParallel);
      const outcomes = await Promise.all(wave.map((t) => runThrough(targetFor(desired, t), deps.engine)));
      await finish(outcomes.map((o) => o.entry));
      failures += outcomes.filter((o) => o.status === 'rolled-back' || o.status === 'emergency').length;
    }
    if (failures > rules.failureBudget) {
      const reason = `${failures} group${failures === 1 ? '' : 's'} failed, budget ${rules.failureBudget}`;
      halted.push({ ring: ring.name, reason });
      const done = new Set(ran.map((e) => e.id));
      for (const t of eligible.filter((t) => !done.has(t.id)))
        waiting.push({ group: t.group, reason: `halted: ${reason}` });
    }
  }
  await deps.state.saveRecords(
    updateRecords(await deps.state.loadRecords(), desired, applied, commit, now()),
  );
  const status = buildStatus({ desired, commit, applied, waiting, halted, ran, now: now() });
  if (writer) await writeRingStatuses(writer, { desired, commit, applied, status, plan, busy, ran, stuck });
  return { commit, plan, ran, waiting, halted, status };
}

/**
 * Runs `t` until it ends or waits for something outside: between two health
 * checks it sleeps until the next one is due (or the controller stops).
 */
async function runThrough(t: TransitionTarget, deps: EngineDeps): Promise<TransitionOutcome> {
  let outcome = await runTransition(t, deps);
  while (outcome.status === 'running' && outcome.entry.until && !deps.signal?.aborted) {
    const ms = Date.parse(outcome.entry.until) - deps.now().getTime();
    try {
      if (ms > 0) await deps.sleep(ms);
    } catch {
      break; // stopped: the transition stays open in the journal, where it stood
    }
    outcome = await runTransition(t, deps);
  }
  return outcome;
}

/** The transitions policy lets start now; the others are added to `waiting` with their reason. */
/** What a run would do now: the plan, the transitions policy lets start (in order), and what waits and why. */
export interface RunPreview {
  readonly plan: TransitionPlan;
  readonly admitted: readonly PlannedTransition[];
  readonly waiting: readonly Waiting[];
}

/**
 * Plans `commit` against `applied` and asks the policy which transitions may
 * start now; groups in `busy` (an open transition) are left out. Pure:
 * `ringmaster plan` prints it and `reconcileOnce` runs it.
 */
export function previewRun(
  desired: Constellation,
  commit: string,
  applied: AppliedState,
  records: RolloutRecords,
  now: Date,
  busy: ReadonlySet<string> = new Set(),
): RunPreview {
  const plan = planTransitions(desired, commit, applied);
  const waiting: Waiting[] = [];
  const admitted: PlannedTransition[] = [];
  for (const ring of desired.rings) {
    const todo = plan.transitions.filter((t) => t.ring === ring.name && !busy.has(t.group));
    if (todo.length) admitted.push(...admit(desired, todo, records, now, waiting));
  }
  return { plan, admitted, waiting };
}

function admit(
  desired: Constellation,
  todo: readonly PlannedTransition[],
  records: RolloutRecords,
  now: Date,
  waiting: Waiting[],
): PlannedTransition[] {
  const ring = desired.rings.find((r) => r.name === todo[0]!.ring)!;
  const ringVerdict = mayStartRing(desired, ring, records, now, false);
  return todo.filter((t) => {
    if (t.direction === 'upgrade' && !ringVerdict.go) {
      waiting.push({ group: t.group, reason: ringVerdict.reason });
      return false;
    }
    const group = desired.groups.get(t.group);
    const window =
      group && !t.changes.includes('create') ? mayChangeGroup(desired, group, now) : { go: true as const };
    if (!window.go) waiting.push({ group: t.group, reason: window.reason });
    return window.go;
  });
}

/**
 * Forgets, in place, the groups whose first deployment failed (they run
 * nothing, so no transition has anything to retire) once their file is gone.
 * Returns their names. A group in emergency stays: a human resolves it first.
 */
export function pruneNeverDeployed(groups: Record<string, AppliedGroup>, desired: Constellation): string[] {
  const gone = Object.values(groups).filter(
    (g) => !g.snapshot && !g.emergency && !desired.groups.has(g.name),
  );
  for (const g of gone) delete groups[g.name];
  return gone.map((g) => g.name);
}

/** Groups of `ring` that failed this commit already (held for it, or in emergency from it). */
function countFailures(applied: AppliedState, desired: Constellation, ring: string, commit: string): number {
  return Object.values(applied.groups).filter(
    (g) =>
      (g.snapshot?.ring ?? desired.groups.get(g.name)?.ring) === ring &&
      (g.held?.commit === commit || g.emergency?.transition.endsWith(`@${commit.slice(0, 12)}`)),
  ).length;
}

/** Everything the steps need for `t`, from the desired state (or, for a removal, from what was applied). */
export function targetFor(desired: Constellation, t: PlannedTransition): TransitionTarget {
  const resources = desired.groups.get(t.group)?.resources ?? t.from!.resources;
  const services = t.to ? desired.releases.get(t.to.release)!.services : {};
  const ringPolicy: RingPolicy =
    desired.policy.rings[t.ring] ?? desired.policy.rings[desired.rings[0]!.name]!;
  return {
    planned: t,
    cluster: resources.cluster,
    namespace: resources.namespace,
    database: resources.database,
    secrets: resources.secrets,
    services,
    ringPolicy,
    gracePeriodMs: desired.policy.health.gracePeriodMs,
    observeMs: desired.policy.health.observeMs,
  };
}
