import { isDeepStrictEqual } from 'node:util';
import type { Tenant } from '../model/types.js';
import { type TenantMove, moveLines } from './tenant-moves.js';

/**
 * The tenants a change adds, removes and edits, one line each for people;
 * empty when nothing changes. With `moves` and the `group` changed, a
 * tenant moving in or out is said to, rather than to be added or removed.
 */
export function describeTenantChanges(
  before: readonly Tenant[],
  after: readonly Tenant[],
  moves: readonly TenantMove[] = [],
  group = '',
): string[] {
  const old = new Map(before.map((t) => [t.id, t]));
  const ids = new Set(after.map((t) => t.id));
  const moving = new Set(moves.map((m) => m.tenant));
  const added = after.filter((t) => !old.has(t.id) && !moving.has(t.id)).map((t) => t.id);
  const removed = before.filter((t) => !ids.has(t.id) && !moving.has(t.id)).map((t) => t.id);
  const edited = after.filter((t) => old.has(t.id) && !isDeepStrictEqual(t, old.get(t.id))).map((t) => t.id);
  return [
    ...(added.length ? [`tenants added: ${added.join(', ')}`] : []),
    ...(removed.length ? [`tenants removed: ${removed.join(', ')}`] : []),
    ...(edited.length ? [`tenants changed: ${edited.join(', ')}`] : []),
    ...moveLines(moves, group),
  ];
}
