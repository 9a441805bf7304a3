/**
 * The planner: the desired state of one commit against the applied state of
 * each group gives the typed transitions that would bring the groups there.
 * Pure: `ringmaster plan` prints its result, the engine runs it.
 */
import type { Constellation } from '../model/types.js';
import { isDeepStrictEqual } from 'node:util';
import { compareVersions } from '../model/versions.js';
import { describeTenantChanges } from './tenant-diff.js';
import type { AppliedState, GroupSnapshot } from '../state/types.js';
import { snapshotHash, snapshotOf } from './snapshot.js';

/** What a transition changes about a group. */
export type TransitionChange =
  'create' | 'ring' | 'release' | 'services' | 'resources' | 'tenants' | 'remove';

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
}

export type BlockReason = 'suspended' | 'held' | 'emergency' | 'decommission-forbidden';

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
}

/** The transition id of a group at a commit. */
export function transitionId(group: string, commit: string): string {
  return `${group}@${commit.slice(0, 12)}`;
}

/** Plans every transition `commit` (whose desired state is `desired`) asks for against `applied`. */
export function planTransitions(
  desired: Constellation,
  commit: string,
  applied: AppliedState,
): TransitionPlan {
  const transitions: PlannedTransition[] = [];
  const blocked: BlockedGroup[] = [];
  let upToDate = 0;
  for (const group of desired.groups.values()) {
    const current = applied.groups[group.name];
    const to = snapshotOf(desired, group);
    const hash = snapshotHash(to);
    if (current?.snapshot && snapshotHash(current.snapshot) === hash) {
      upToDate++;
      continue;
    }
    if (current?.emergency) {
      blocked.push({
        group: group.name,
        reason: 'emergency',
        message: `in emergency since ${current.emergency.since}: ${current.emergency.reason}; run ringmaster recover ${group.name}`,
      });
    } else if (group.suspended) {
      blocked.push({
        group: group.name,
        reason: 'suspended',
        message: 'suspended: the controller leaves it alone',
      });
    } else if (current?.held && current.held.snapshotHash === hash) {
      blocked.push({
        group: group.name,
        reason: 'held',
        message: `commit ${current.held.commit.slice(0, 12)} failed here (${current.held.reason}); ${current.snapshot ? '' : 'nothing deployed; '}held until a newer commit changes the group`,
      });
    } else {
      transitions.push(
        describe(
          group.name,
          commit,
          current?.snapshot,
          to,
          group.tenants.filter((t) => t.testOf !== undefined).length,
        ),
      );
    }
  }
  for (const [name, current] of Object.entries(applied.groups)) {
    // A group whose first deployment failed runs nothing: there is nothing to retire (see pruneNeverDeployed).
    if (desired.groups.has(name) || !current.snapshot) continue;
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
  const ringIndex = new Map(desired.rings.map((r) => [r.name, r.index]));
  transitions.sort(
    (a, b) =>
      (ringIndex.get(a.ring) ?? Infinity) - (ringIndex.get(b.ring) ?? Infinity) ||
      Number(b.testTenants > 0) - Number(a.testTenants > 0) ||
      a.group.localeCompare(b.group),
  );
  return { commit, transitions, blocked: blocked.sort((a, b) => a.group.localeCompare(b.group)), upToDate };
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
