/**
 * Admission, pure: of the transitions a commit asks for, which may start now
 * and in what order, which wait and why (until when, where known), and which
 * rings are halted. `ringmaster plan` prints it, the controller starts what it
 * admits, and every view of the status shows the same waits.
 *
 * Rules:
 * - Rings in their order; within a ring, groups holding test tenants first,
 *   then by name (the planner's order).
 * - An upgrade starts only when the ring may start (bake time in the previous
 *   ring, freezes); a change of an existing group only inside its window where
 *   the ring asks for windows. Rollbacks are never held by bake or freeze.
 * - A ring is halted while more of its groups have failed what the commit
 *   still asks of them (held for that very state, or in emergency) than its
 *   failure budget allows: nothing more starts there until a newer commit
 *   changes the ring (the failed state is then no longer what is asked).
 * - Groups with a transition under way (`busy`) are left out: they finish
 *   what they started.
 * - A group tenants leave waits for their move (see move-plan.ts); a move
 *   starts once the group they leave has nothing under way.
 */
import type { Constellation } from '../model/types.js';
import { mayChangeGroup, mayStartRing } from '../policy/runtime.js';
import type { RolloutRecords } from '../state/records.js';
import type { AppliedState } from '../state/types.js';
import { snapshotHash, snapshotOf } from './snapshot.js';
import { type PlannedTransition, type TransitionPlan, planTransitions, retryAsked } from './transitions.js';

/** A group that cannot change now, why, and until when where that is known. */
export interface Waiting {
  readonly group: string;
  readonly reason: string;
  /** ISO 8601. */
  readonly until?: string;
}

/** A ring whose failure budget is spent. */
export interface Halted {
  readonly ring: string;
  readonly reason: string;
}

/** What a run would do now: the plan, the transitions that may start (in order), what waits and why. */
export interface RunPreview {
  readonly plan: TransitionPlan;
  readonly admitted: readonly PlannedTransition[];
  readonly waiting: readonly Waiting[];
  readonly halted: readonly Halted[];
}

/** Plans `commit` against `applied` and admits what may start now (see the module comment). */
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
  const halted: Halted[] = [];
  const failures = failuresByRing(desired, commit, applied);
  for (const ring of desired.rings) {
    const todo = plan.transitions.filter((t) => {
      if (t.ring !== ring.name || busy.has(t.group)) return false;
      // A move starts once the group the tenants leave has finished what it had under way.
      if (t.moveIn && busy.has(t.moveIn.from)) {
        waiting.push({
          group: t.group,
          reason: `waits for ${t.moveIn.from} to finish its transition under way, then moves its tenants`,
        });
        return false;
      }
      return true;
    });
    const budget = desired.policy.rings[ring.name]?.failureBudget ?? 0;
    const failed = failures.get(ring.name) ?? 0;
    if (failed > budget) {
      const reason = haltReason(failed, budget);
      halted.push({ ring: ring.name, reason });
      for (const t of todo) waiting.push({ group: t.group, reason: `halted: ${reason}` });
      continue;
    }
    if (todo.length) admitted.push(...admit(desired, todo, records, now, waiting));
  }
  // A group tenants leave waits for their move; a group whose move cannot run as asked waits saying why.
  for (const b of plan.blocked)
    if (b.reason === 'move' && !busy.has(b.group)) waiting.push({ group: b.group, reason: b.message });
  return { plan, admitted, waiting, halted };
}

/** The halt reason for `failed` groups against a budget. */
export function haltReason(failed: number, budget: number): string {
  return `${failed} group${failed === 1 ? '' : 's'} failed, budget ${budget}`;
}

/**
 * Per ring, the groups that failed what `commit` still asks of them: held
 * for exactly the state desired now (and no Retry of that hold asked for), or
 * in emergency.
 */
export function failuresByRing(
  desired: Constellation,
  commit: string,
  applied: AppliedState,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const group of desired.groups.values()) {
    const a = applied.groups[group.name];
    if (!a || group.suspended) continue;
    const failed =
      a.emergency !== undefined ||
      (a.held !== undefined &&
        a.held.snapshotHash === snapshotHash(snapshotOf(desired, group)) &&
        retryAsked(desired, group.name, a.held, commit) === undefined);
    if (failed) counts.set(group.ring, (counts.get(group.ring) ?? 0) + 1);
  }
  return counts;
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
      waiting.push({ group: t.group, reason: ringVerdict.reason, until: ringVerdict.until });
      return false;
    }
    const group = desired.groups.get(t.group);
    const window =
      group && !t.changes.includes('create') ? mayChangeGroup(desired, group, now) : { go: true as const };
    if (!window.go) waiting.push({ group: t.group, reason: window.reason, until: window.until });
    return window.go;
  });
}
