import { isDeepStrictEqual } from 'node:util';
import type { Tenant } from '../model/types.js';

/** The tenants a change adds, removes and edits, one line each for people; empty when nothing changes. */
export function describeTenantChanges(before: readonly Tenant[], after: readonly Tenant[]): string[] {
  const old = new Map(before.map((t) => [t.id, t]));
  const ids = new Set(after.map((t) => t.id));
  const added = after.filter((t) => !old.has(t.id)).map((t) => t.id);
  const removed = before.filter((t) => !ids.has(t.id)).map((t) => t.id);
  const edited = after.filter((t) => old.has(t.id) && !isDeepStrictEqual(t, old.get(t.id))).map((t) => t.id);
  return [
    ...(added.length ? [`tenants added: ${added.join(', ')}`] : []),
    ...(removed.length ? [`tenants removed: ${removed.join(', ')}`] : []),
    ...(edited.length ? [`tenants changed: ${edited.join(', ')}`] : []),
  ];
}
