/**
 * What a change of the desired state does, from one commit to another: the
 * ring promotions it makes and the groups and tenants it touches. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Constellation, Group } from '../model/types.js';
import { compareVersions } from '../model/versions.js';
import { describeTenantChanges } from './tenant-diff.js';
import { type TenantMove, matchMoves, moveLines, tenantFlow } from './tenant-moves.js';

/** How a ring's release changes. */
export type RingChangeKind = 'promotion' | 'backport' | 'rollback';

/** One ring whose release changes. */
export interface RingChange {
  readonly ring: string;
  readonly index: number;
  readonly from: string;
  readonly to: string;
  readonly kind: RingChangeKind;
  readonly fromSchema: number;
  readonly toSchema: number;
  /** Groups of the ring at head that will change, by name. */
  readonly groups: readonly string[];
  /** Groups of the ring at head left alone because they are suspended. */
  readonly suspendedGroups: readonly string[];
  readonly tenants: number;
  readonly testTenants: number;
}

export type GroupChangeKind =
  'added' | 'removed' | 'moved' | 'resources' | 'tenants' | 'window' | 'suspended' | 'resumed';

/** One group whose own file changes. */
export interface GroupChange {
  readonly group: string;
  readonly ring: string;
  readonly kinds: readonly GroupChangeKind[];
  readonly details: readonly string[];
}

/** A release file that appears, disappears or changes. */
export interface ReleaseChange {
  readonly version: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** Rings running this release at base (for a changed file). */
  readonly runningIn: readonly string[];
}

/** A Retry file the change adds for a group of the head: the group's held transition is tried again. */
export interface RetryChange {
  /** The held transition named, `<group>@<commit>`. */
  readonly id: string;
  readonly group: string;
  readonly ring: string;
}

/** The whole effect of a change. */
export interface ChangePlan {
  readonly constellation: string;
  readonly rings: readonly RingChange[];
  readonly ringsAdded: readonly string[];
  readonly ringsRemoved: readonly string[];
  readonly groups: readonly GroupChange[];
  readonly releases: readonly ReleaseChange[];
  readonly policyChanged: boolean;
  /** Retry files added, of groups the head has (a retry of a group that is gone does nothing). */
  readonly retries: readonly RetryChange[];
  /** Tenants the change takes from one group to another, by tenant id. */
  readonly moves: readonly TenantMove[];
}

/** Compares the constellation at `base` with the one at `head`. */
export function planChange(base: Constellation, head: Constellation): ChangePlan {
  const baseRings = new Map(base.rings.map((r) => [r.name, r]));
  const rings: RingChange[] = [];
  for (const ring of head.rings) {
    const before = baseRings.get(ring.name);
    if (!before || before.release === ring.release) continue;
    const members = [...head.groups.values()].filter((g) => g.ring === ring.name);
    const active = members.filter((g) => !g.suspended);
    const fromRelease = base.releases.get(before.release)!;
    const toRelease = head.releases.get(ring.release)!;
    rings.push({
      ring: ring.name,
      index: ring.index,
      from: before.release,
      to: ring.release,
      kind:
        compareVersions(ring.release, before.release) < 0
          ? 'rollback'
          : toRelease.line === fromRelease.line && toRelease.backportOf
            ? 'backport'
            : 'promotion',
      fromSchema: fromRelease.schemaVersion,
      toSchema: toRelease.schemaVersion,
      groups: active.map((g) => g.name).sort(),
      suspendedGroups: members
        .filter((g) => g.suspended)
        .map((g) => g.name)
        .sort(),
      tenants: active.reduce((n, g) => n + g.tenants.length, 0),
      testTenants: active.reduce((n, g) => n + g.tenants.filter((t) => t.testOf !== undefined).length, 0),
    });
  }
  const headRingNames = new Set(head.rings.map((r) => r.name));
  const moves = tenantMoves(base, head);
  return {
    constellation: head.name,
    rings,
    ringsAdded: head.rings.filter((r) => !baseRings.has(r.name)).map((r) => r.name),
    ringsRemoved: base.rings.filter((r) => !headRingNames.has(r.name)).map((r) => r.name),
    groups: planGroups(base, head, moves),
    releases: planReleases(base, head),
    policyChanged: !isDeepStrictEqual(stripFile(base.policy), stripFile(head.policy)),
    retries: planRetries(base, head),
    moves,
  };
}

/** The tenants that leave a group of `base` for another group of `head`. */
export function tenantMoves(base: Constellation, head: Constellation): TenantMove[] {
  const flows = [...head.groups.values()].map(
    (g) => [g.name, tenantFlow(base.groups.get(g.name)?.tenants, g.tenants)] as const,
  );
  for (const g of base.groups.values())
    if (!head.groups.has(g.name)) flows.push([g.name, tenantFlow(g.tenants, undefined)] as const);
  return matchMoves(flows);
}

function planRetries(base: Constellation, head: Constellation): RetryChange[] {
  const changes: RetryChange[] = [];
  for (const id of head.retries) {
    const group = head.groups.get(groupOf(id));
    if (!base.retries.has(id) && group) changes.push({ id, group: group.name, ring: group.ring });
  }
  return changes.sort((a, b) => a.id.localeCompare(b.id));
}

/** The group a transition id (`<group>@<commit>`) names. */
function groupOf(id: string): string {
  return id.slice(0, id.indexOf('@'));
}

function stripFile<T extends { file: string }>(x: T): Omit<T, 'file'> {
  const { file: _file, ...rest } = x;
  return rest;
}

function planGroups(base: Constellation, head: Constellation, moves: readonly TenantMove[]): GroupChange[] {
  const changes: GroupChange[] = [];
  for (const g of head.groups.values()) {
    const before = base.groups.get(g.name);
    if (!before) {
      changes.push({
        group: g.name,
        ring: g.ring,
        kinds: ['added'],
        details: [
          `new group in ring ${g.ring} with ${g.tenants.length} tenants`,
          ...moveLines(moves, g.name),
        ],
      });
      continue;
    }
    const change = compareGroup(before, g, moves);
    if (change.kinds.length) changes.push(change);
  }
  for (const g of base.groups.values()) {
    if (!head.groups.has(g.name))
      changes.push({
        group: g.name,
        ring: g.ring,
        kinds: ['removed'],
        details: [`group removed from ring ${g.ring}`, ...moveLines(moves, g.name)],
      });
  }
  return changes.sort((a, b) => a.group.localeCompare(b.group));
}

function compareGroup(before: Group, after: Group, moves: readonly TenantMove[]): GroupChange {
  const kinds: GroupChangeKind[] = [];
  const details: string[] = [];
  if (before.ring !== after.ring) {
    kinds.push('moved');
    details.push(`moves from ring ${before.ring} to ${after.ring}`);
  }
  if (!isDeepStrictEqual(before.resources, after.resources)) {
    kinds.push('resources');
    details.push('fixed resources change');
  }
  const tenants = describeTenantChanges(before.tenants, after.tenants, moves, after.name);
  if (tenants.length) {
    kinds.push('tenants');
    details.push(...tenants);
  }
  if (!isDeepStrictEqual(before.maintenanceWindow, after.maintenanceWindow)) {
    kinds.push('window');
    details.push('maintenance window changes');
  }
  if (before.suspended !== after.suspended) {
    kinds.push(after.suspended ? 'suspended' : 'resumed');
    details.push(
      after.suspended
        ? 'suspended: the controller will leave it alone'
        : 'resumed: the controller manages it again',
    );
  }
  return { group: after.name, ring: after.ring, kinds, details };
}

function planReleases(base: Constellation, head: Constellation): ReleaseChange[] {
  const changes: ReleaseChange[] = [];
  const runningIn = (version: string) => base.rings.filter((r) => r.release === version).map((r) => r.name);
  for (const [version, r] of head.releases) {
    const before = base.releases.get(version);
    if (!before) changes.push({ version, change: 'added', runningIn: [] });
    else if (!isDeepStrictEqual(stripFile(before), stripFile(r)))
      changes.push({ version, change: 'changed', runningIn: runningIn(version) });
  }
  for (const version of base.releases.keys()) {
    if (!head.releases.has(version))
      changes.push({ version, change: 'removed', runningIn: runningIn(version) });
  }
  return changes.sort((a, b) => compareVersions(a.version, b.version));
}

/**
 * Every ring a change touches: rings whose release changes, rings added or
 * removed, the rings of groups that change, move, appear or go (both rings of
 * a move), rings running a release whose file changes, the rings of new
 * approvals and retries, and every ring when the policy itself changes.
 */
export function ringsTouched(base: Constellation, head: Constellation): Set<string> {
  const plan = planChange(base, head);
  const rings = new Set<string>([...plan.rings.map((r) => r.ring), ...plan.ringsAdded, ...plan.ringsRemoved]);
  for (const g of plan.groups) {
    rings.add(g.ring);
    const before = base.groups.get(g.group);
    if (before) rings.add(before.ring);
  }
  for (const r of plan.releases) for (const ring of r.runningIn) rings.add(ring);
  if (plan.policyChanged) for (const r of [...base.rings, ...head.rings]) rings.add(r.name);
  for (const id of head.approvals) {
    if (base.approvals.has(id)) continue;
    const ring = head.groups.get(groupOf(id))?.ring;
    if (ring) rings.add(ring);
  }
  for (const r of plan.retries) rings.add(r.ring);
  return rings;
}
