/**
 * Tenant moves. A tenant id that leaves one group and appears in another in
 * the same change is one move of that tenant, whose data must go with it:
 * never a removal (its data deleted after `keep`) plus an addition (a new,
 * empty tenant). Pure; the planner, `check` and the pull request body read
 * moves from here.
 */
import { compareNames } from '../model/naming.js';
import type { Tenant } from '../model/types.js';

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
