/**
 * What a transition is given to run, and the applied groups nothing is left
 * of: pure helpers of the controller's loop.
 */
import type { Constellation, RingPolicy } from '../model/types.js';
import type { PlannedTransition } from '../plan/transitions.js';
import type { AppliedGroup } from '../state/types.js';
import type { TransitionTarget } from './steps.js';

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

/** Everything the steps need for `t`, from the desired state (or, for a removal, from what was applied). */
export function targetFor(desired: Constellation, t: PlannedTransition): TransitionTarget {
  const group = desired.groups.get(t.group);
  const resources = group?.resources ?? t.from!.resources;
  const services = t.to ? desired.releases.get(t.to.release)!.services : {};
  const state = t.to ?? t.from!;
  const release = desired.releases.get(state.release);
  const ringPolicy: RingPolicy =
    desired.policy.rings[t.ring] ?? desired.policy.rings[desired.rings[0]!.name]!;
  return {
    planned: t,
    cluster: resources.cluster,
    namespace: resources.namespace,
    database: resources.database,
    secrets: resources.secrets,
    services,
    schemaVersion: state.schemaVersion,
    tenants: state.tenants,
    ...(t.to && release?.migration ? { migration: release.migration } : {}),
    ...(release?.tenantJobs ? { tenantJobs: release.tenantJobs } : {}),
    ringPolicy,
    ...(group?.maintenanceWindow ? { window: group.maintenanceWindow } : {}),
    ...(t.moveIn?.data === 'replica' && desired.policy.moves.standby ? { standby: true as const } : {}),
    gracePeriodMs: desired.policy.health.gracePeriodMs,
    observeMs: desired.policy.health.observeMs,
    analysis: desired.policy.health.analysis,
  };
}

/**
 * The order in which groups waiting for a worker get one (lowest first):
 * earlier rings first, and within a ring the groups holding test tenants.
 */
export function workPriority(desired: Constellation | undefined, group: string): number {
  const g = desired?.groups.get(group);
  const ring = desired?.rings.find((r) => r.name === g?.ring);
  const tests = g?.tenants.some((t) => t.testOf !== undefined) ?? false;
  return (ring?.index ?? 0) * 2 + (tests ? 0 : 1);
}
