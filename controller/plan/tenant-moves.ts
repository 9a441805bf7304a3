/**
 * Tenant moves. A tenant id that leaves one group and appears in another in
 * the same change is one move of that tenant, whose data must go with it:
 * never a removal (its data deleted after `keep`) plus an addition (a new,
 * empty tenant). Pure; the planner, `check` and the pull request body read
 * moves from here.
 */
import { isDeepStrictEqual } from 'node:util';
import { compareNames } from '../model/naming.js';
import type { Constellation, Release, Tenant } from '../model/types.js';
import type { GroupSnapshot } from '../state/types.js';

/** One tenant leaving group `from` for group `to`. */
export interface TenantMove {
  readonly tenant: string;
  readonly host: string;
  /** The group the tenant leaves. */
  readonly from: string;
  /** The group it joins. */
  readonly to: string;
}

/** The tenants a group gains (as the change asks for them) and loses (by id). */
export interface TenantFlow {
  readonly arriving: readonly Tenant[];
  readonly departing: readonly string[];
}

const NO_FLOW: TenantFlow = { arriving: [], departing: [] };

/** The tenants of `after` not in `before`, and the ids of `before` not in `after` (a group absent on one side: undefined). */
export function tenantFlow(
  before: readonly Tenant[] | undefined,
  after: readonly Tenant[] | undefined,
): TenantFlow {
  if (before === after) return NO_FLOW;
  const had = new Set((before ?? []).map((t) => t.id));
  const has = new Set((after ?? []).map((t) => t.id));
  const arriving = (after ?? []).filter((t) => !had.has(t.id));
  const departing = (before ?? []).filter((t) => !has.has(t.id)).map((t) => t.id);
  return arriving.length || departing.length ? { arriving, departing } : NO_FLOW;
}

/** Every tenant departing one group and arriving in another, by tenant id. */
export function matchMoves(flows: Iterable<readonly [group: string, flow: TenantFlow]>): TenantMove[] {
  const arrivals = new Map<string, { readonly group: string; readonly host: string }>();
  const departures = new Map<string, string>();
  for (const [group, flow] of flows) {
    for (const t of flow.arriving) arrivals.set(t.id, { group, host: t.host });
    for (const id of flow.departing) departures.set(id, group);
  }
  const moves: TenantMove[] = [];
  for (const [tenant, from] of departures) {
    const to = arrivals.get(tenant);
    if (to && to.group !== from) moves.push({ tenant, host: to.host, from, to: to.group });
  }
  return moves.sort((a, b) => compareNames(a.tenant, b.tenant));
}

/** Every tenant id of a constellation, built once per constellation (the planner asks every look). */
const tenantIds = new WeakMap<Constellation, ReadonlySet<string>>();

/**
 * The tenants of `departing` that no group of `desired` holds any more: the
 * ones whose data a change deletes (after the ring's keep), so it needs the
 * policy's `decommission`. A tenant that lives on in another group moved (or
 * has moved) and is not among them.
 */
export function decommissioned(departing: readonly string[], desired: Constellation): string[] {
  if (!departing.length) return [];
  let ids = tenantIds.get(desired);
  if (!ids) {
    ids = new Set([...desired.groups.values()].flatMap((g) => g.tenants.map((t) => t.id)));
    tenantIds.set(desired, ids);
  }
  return departing.filter((id) => !ids.has(id));
}

/** What a change that deletes the data of `tenants` of `group` is told where the policy forbids it. */
export function decommissionForbidden(group: string, tenants: readonly string[]): string {
  const which = tenants.length === 1 ? `tenant ${tenants[0]}` : `tenants ${tenants.join(', ')}`;
  return `removes ${which} from ${group}, whose data would be deleted after the ring's keep, and the policy does not allow decommissioning (decommission: false); move ${tenants.length === 1 ? 'it' : 'them'} to another group instead, or set decommission: true`;
}

/** The moves into and out of `group`. */
export function movesOf(
  moves: readonly TenantMove[],
  group: string,
): { readonly into: TenantMove[]; readonly out: TenantMove[] } {
  return { into: moves.filter((m) => m.to === group), out: moves.filter((m) => m.from === group) };
}

/** One line per move into or out of `group`, for people. */
export function moveLines(moves: readonly TenantMove[], group: string): string[] {
  const { into, out } = movesOf(moves, group);
  return [
    ...into.map((m) => `tenant ${m.tenant} moves in from ${m.from}`),
    ...out.map((m) => `tenant ${m.tenant} moves out to ${m.to}`),
  ];
}

/** One line for people: `move tenant x from A to B`. */
export function describeMove(m: TenantMove): string {
  return `move tenant ${m.tenant} (${m.host}) from ${m.from} to ${m.to}`;
}

/**
 * What keeps the moves `into` one group from running as asked, judged alike
 * by the planner (move-plan.ts) and by `check` (policy/move-verdicts.ts):
 * tenants moving in from two groups at once; the same change touching the
 * joining group otherwise (its ring, release, services or resources, other
 * tenants joining or leaving); data to copy into a database the group has
 * already, with no copy Job in `release`. `before` is what the joining group
 * runs (undefined: it is new), `after` what is asked of it, `source` what the
 * group the tenants leave runs (undefined: nothing; the caller says so).
 * Undefined when the moves can run; else the reason, to follow a line naming
 * the moves.
 */
export function moveProblem(
  into: readonly TenantMove[],
  before: GroupSnapshot | undefined,
  after: GroupSnapshot,
  source: GroupSnapshot | undefined,
  release: Pick<Release, 'version' | 'tenantJobs'>,
): string | undefined {
  const sources = [...new Set(into.map((m) => m.from))];
  if (sources.length > 1)
    return `tenants move in from ${sources.join(' and ')} at once; move them from one group per change`;
  const moving = new Set(into.map((m) => m.tenant));
  const had = new Set(before?.tenants.map((t) => t.id) ?? []);
  const has = new Set(after.tenants.map((t) => t.id));
  const joining = after.tenants.filter((t) => !had.has(t.id) && !moving.has(t.id)).map((t) => t.id);
  const leaving = (before?.tenants ?? []).filter((t) => !has.has(t.id)).map((t) => t.id);
  const others = [
    ...(joining.length ? [`new tenants (${joining.join(', ')})`] : []),
    ...(leaving.length ? [`tenants leaving (${leaving.join(', ')})`] : []),
    ...(before && before.ring !== after.ring ? ['its ring'] : []),
    ...(before && before.release !== after.release ? ['its release'] : []),
    ...(before && !isDeepStrictEqual(before.services, after.services) ? ['its services'] : []),
    ...(before && !isDeepStrictEqual(before.resources, after.resources) ? ['its resources'] : []),
  ];
  const target = into[0]!.to;
  if (others.length)
    return `the same change touches ${others.join(', ')} of ${target}; a move changes nothing else of the group it joins, so split the change`;
  const copies = before && source && source.resources.database.instance !== after.resources.database.instance;
  if (copies && !release.tenantJobs?.copy)
    return `${target} has its own database already, so the data is copied by the release's tenantJobs.copy Job, and release ${release.version} declares none; add one to the release first`;
  return undefined;
}
