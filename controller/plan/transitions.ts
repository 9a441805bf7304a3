/**
 * The planner: the desired state of one commit against the applied state of
 * each group gives the typed transitions that would bring the groups there.
 * Pure: `ringmaster plan` prints its result, the engine runs it.
 */
import type { Constellation, Group } from '../model/types.js';
import { isDeepStrictEqual } from 'node:util';
import { compareNames } from '../model/naming.js';
import { compareVersions } from '../model/versions.js';
import { describeTenantChanges } from './tenant-diff.js';
import {
  type TenantFlow,
  type TenantMove,
  decommissionForbidden,
  decommissioned,
  matchMoves,
  tenantFlow,
} from './tenant-moves.js';
import { type MoveIn, planMoves } from './move-plan.js';
import type { AppliedGroup, AppliedState, GroupSnapshot, HeldCommit } from '../state/types.js';
import { snapshotHash, snapshotOf } from './snapshot.js';

/** Why a suspended group does not move, as the plan and the status say it. */
export const SUSPENDED = 'suspended: true in its group file; the controller leaves it alone until that goes';

/** What a transition changes about a group. */
export type TransitionChange =
  'create' | 'ring' | 'release' | 'services' | 'resources' | 'tenants' | 'remove' | 'move';

/** One group's move from its applied snapshot to the one the commit asks for. */
export interface PlannedTransition {
  /** `<group>@<commit, 12 characters>`: names the transition in logs, statuses and approvals. */
  readonly id: string;
  readonly group: string;
  readonly ring: string;
  readonly commit: string;
  readonly changes: readonly TransitionChange[];
  readonly from?: GroupSnapshot;
  /** Absent when the group is removed. */
  readonly to?: GroupSnapshot;
  /** For a release change: whether the group moves to a newer or an older release. */
  readonly direction?: 'upgrade' | 'rollback';
  /** One line per change, for people. */
  readonly details: readonly string[];
  /** Test tenants of the group: groups holding them go first in a wave. */
  readonly testTenants: number;
  /**
   * When a Retry file asked for it: the held transition this one tries again
   * (`<group>@<held commit>`). It runs under its own id, at this commit.
   */
  readonly retryOf?: string;
  /** For a group tenants move into: which, from where, and how their data follows (see move-plan.ts). */
  readonly moveIn?: MoveIn;
}

/**
 * Why a group the commit changes is left alone. `move`: a tenant leaves it
 * for a group whose move is not applied yet, or the move into it cannot run
 * as the commit asks (see move-plan.ts); the group waits as it runs.
 */
export type BlockReason = 'suspended' | 'held' | 'emergency' | 'decommission-forbidden' | 'move';

/** A group that differs from the commit but that the controller will not touch, and why. */
export interface BlockedGroup {
  readonly group: string;
  readonly reason: BlockReason;
  readonly message: string;
}

export interface TransitionPlan {
  readonly commit: string;
  /** In ring order; within a ring, groups with test tenants first, then by name. */
  readonly transitions: readonly PlannedTransition[];
  readonly blocked: readonly BlockedGroup[];
  /** Groups already in the state the commit asks for. */
  readonly upToDate: number;
  /** Tenants the commit takes from one group to another, by tenant id. */
  readonly moves: readonly TenantMove[];
}

/** The transition id of a group at a commit. */
export function transitionId(group: string, commit: string): string {
  return `${group}@${commit.slice(0, 12)}`;
}

/**
 * Plans every transition `commit` (whose desired state is `desired`) asks for
 * against `applied`. A group held for a failed commit is blocked while the
 * commit asks the same of it, unless the desired state holds a Retry naming
 * that hold (see `retryAsked`): then it is planned again, marked `retryOf`.
 */
export function planTransitions(
  desired: Constellation,
  commit: string,
  applied: AppliedState,
): TransitionPlan {
  const transitions: PlannedTransition[] = [];
  const blocked: BlockedGroup[] = [];
  const flows: (readonly [string, TenantFlow])[] = [];
  let upToDate = 0;
  for (const group of desired.groups.values()) {
    const { answer, flow } = answerOf(desired, group, applied.groups[group.name], commit);
    if (answer === 'up-to-date') upToDate++;
    else if ('reason' in answer) blocked.push(answer);
    else transitions.push(answer);
    if (flow) flows.push([group.name, flow]);
  }
  // Asked every second of a rollout over 10,000 groups: no array of entries built to find the few removed.
  for (const name in applied.groups) {
    const current = applied.groups[name]!;
    // A group whose first deployment failed runs nothing: there is nothing to retire (see pruneNeverDeployed).
    if (desired.groups.has(name) || !current.snapshot) continue;
    flows.push([name, tenantFlow(current.snapshot.tenants, undefined)]);
    if (!desired.policy.decommission) {
      blocked.push({
        group: name,
        reason: 'decommission-forbidden',
        message:
          'its file was removed, and the policy does not allow decommissioning; restore the file or set decommission: true',
      });
    } else if (!current.emergency) {
      transitions.push({
        id: transitionId(name, commit),
        group: name,
        ring: current.snapshot.ring,
        commit,
        changes: ['remove'],
        from: current.snapshot,
        details: ['group removed: its stack is retired'],
        testTenants: 0,
      });
    }
  }
  const moves = flows.length ? matchMoves(flows) : [];
  if (moves.length) planMoves(desired, applied, moves, transitions, blocked);
  if (!desired.policy.decommission) blockDecommissions(desired, flows, transitions, blocked);
  const ringIndex = new Map(desired.rings.map((r) => [r.name, r.index]));
  transitions.sort(
    (a, b) =>
      (ringIndex.get(a.ring) ?? Infinity) - (ringIndex.get(b.ring) ?? Infinity) ||
      Number(b.testTenants > 0) - Number(a.testTenants > 0) ||
      compareNames(a.group, b.group),
  );
  return {
    commit,
    transitions,
    blocked: blocked.sort((a, b) => compareNames(a.group, b.group)),
    upToDate,
    moves,
  };
}

/**
 * Blocks each planned transition of a group that loses tenants no group
 * keeps (their data would be deleted), where the policy does not allow
 * decommissioning. Changes `transitions` and `blocked` in place.
 */
function blockDecommissions(
  desired: Constellation,
  flows: readonly (readonly [string, TenantFlow])[],
  transitions: PlannedTransition[],
  blocked: BlockedGroup[],
): void {
  for (const [group, flow] of flows) {
    const gone = decommissioned(flow.departing, desired);
    const index = gone.length ? transitions.findIndex((t) => t.group === group) : -1;
    // A removed group's own removal is judged where it is planned.
    if (index < 0 || transitions[index]!.changes.includes('remove')) continue;
    transitions.splice(index, 1);
    blocked.push({ group, reason: 'decommission-forbidden', message: decommissionForbidden(group, gone) });
  }
}

type Answer = PlannedTransition | BlockedGroup | 'up-to-date';

/** planGroup's answer, and the tenants the group gains and loses (absent when none). */
interface Planned {
  readonly answer: Answer;
  readonly flow?: TenantFlow;
}

/**
 * planGroup's answers already given, per applied group (or per desired group
 * where none is applied). Neither is ever changed, only replaced, so an
 * answer holds while the constellation, the commit and both objects are the
 * same: the controller builds its status every second, and only the groups
 * whose state changed since are planned again.
 */
const answers = new WeakMap<
  AppliedGroup | Group,
  {
    readonly desired: Constellation;
    readonly group: Group;
    readonly commit: string;
    readonly planned: Planned;
  }
>();

function answerOf(
  desired: Constellation,
  group: Group,
  current: AppliedGroup | undefined,
  commit: string,
): Planned {
  const key = current ?? group;
  const kept = answers.get(key);
  if (kept?.desired === desired && kept.group === group && kept.commit === commit) return kept.planned;
  const answer = planGroup(desired, group, current, commit);
  const flow = answer === 'up-to-date' ? undefined : tenantFlow(current?.snapshot?.tenants, group.tenants);
  const planned = flow?.arriving.length || flow?.departing.length ? { answer, flow } : { answer };
  answers.set(key, { desired, group, commit, planned });
  // The answer given before the group was first applied is not asked for again.
  if (current) answers.delete(group);
  return planned;
}

/** What the commit asks of one group of the desired state: nothing, a transition, or why it is blocked. */
function planGroup(
  desired: Constellation,
  group: Group,
  current: AppliedGroup | undefined,
  commit: string,
): Answer {
  const to = snapshotOf(desired, group);
  const hash = snapshotHash(to);
  if (current?.snapshot && snapshotHash(current.snapshot) === hash) return 'up-to-date';
  const fresh = () =>
    describe(
      group.name,
      commit,
      current?.snapshot,
      to,
      group.tenants.filter((t) => t.testOf !== undefined).length,
    );
  if (current?.emergency) {
    return {
      group: group.name,
      reason: 'emergency',
      message: `in emergency since ${current.emergency.since}: ${current.emergency.reason}; run ringmaster recover ${group.name}`,
    };
  }
  if (group.suspended) return { group: group.name, reason: 'suspended', message: SUSPENDED };
  if (current?.held && current.held.snapshotHash === hash) {
    const retry = retryAsked(desired, group.name, current.held, commit);
    if (retry) return { ...fresh(), retryOf: retry };
    const { held } = current;
    const what = held.retryOf ? ` (a retry of ${held.retryOf})` : '';
    return {
      group: group.name,
      reason: 'held',
      message: `commit ${held.commit.slice(0, 12)}${what} failed here (${held.reason}); ${current.snapshot ? '' : 'nothing deployed; '}held until a newer commit changes the group, or a retry is merged (ringmaster retry ${group.name})`,
    };
  }
  return fresh();
}

/**
 * The id of the hold `held` of `group` (the failed transition,
 * `<group>@<held commit>`) when the desired state holds a Retry naming it and
 * it may run at `commit`; undefined otherwise. A retry runs once: its own
 * transition is `<group>@<commit>`, and if it fails the group is held for
 * that commit, which no earlier Retry names. At the held commit itself the id
 * would be the failed attempt's, whose journal has ended, so it does not run
 * there (a Retry file is only ever added by a later commit).
 */
export function retryAsked(
  desired: Constellation,
  group: string,
  held: HeldCommit,
  commit: string,
): string | undefined {
  const id = transitionId(group, held.commit);
  return desired.retries.has(id) && transitionId(group, commit) !== id ? id : undefined;
}

function describe(
  group: string,
  commit: string,
  from: GroupSnapshot | undefined,
  to: GroupSnapshot,
  testTenants: number,
): PlannedTransition {
  const base = { id: transitionId(group, commit), group, ring: to.ring, commit, from, to, testTenants };
  if (!from) {
    return {
      ...base,
      changes: ['create'],
      details: [`new group in ring ${to.ring} on ${to.release} with ${to.tenants.length} tenants`],
    };
  }
  const changes: TransitionChange[] = [];
  const details: string[] = [];
  let direction: 'upgrade' | 'rollback' | undefined;
  if (from.ring !== to.ring) {
    changes.push('ring');
    details.push(`moves from ring ${from.ring} to ${to.ring}`);
  }
  if (from.release !== to.release) {
    changes.push('release');
    direction = compareVersions(to.release, from.release) > 0 ? 'upgrade' : 'rollback';
    details.push(
      `release ${from.release} → ${to.release} (${direction}, data layout ${from.schemaVersion} → ${to.schemaVersion})`,
    );
  }
  const added = Object.keys(to.services).filter((s) => !(s in from.services));
  const removed = Object.keys(from.services).filter((s) => !(s in to.services));
  if (added.length || removed.length) {
    changes.push('services');
    if (added.length) details.push(`services added: ${added.join(', ')}`);
    if (removed.length) details.push(`services removed: ${removed.join(', ')}`);
  }
  if (!isDeepStrictEqual(from.resources, to.resources)) {
    changes.push('resources');
    details.push('fixed resources change');
  }
  const tenants = describeTenantChanges(from.tenants, to.tenants);
  if (tenants.length) {
    changes.push('tenants');
    details.push(...tenants);
  }
  return { ...base, changes, details, direction };
}
