import { createHash } from 'node:crypto';
import type { Constellation, Group } from '../model/types.js';
import type { GroupSnapshot } from '../state/types.js';

/** What `constellation` asks of `group`: its ring's release with its services, its resources and tenants. */
export function snapshotOf(constellation: Constellation, group: Group): GroupSnapshot {
  const ring = constellation.rings.find((r) => r.name === group.ring)!;
  const release = constellation.releases.get(ring.release)!;
  return {
    ring: ring.name,
    release: release.version,
    schemaVersion: release.schemaVersion,
    services: Object.fromEntries(Object.entries(release.services).map(([name, s]) => [name, s.image])),
    resources: group.resources,
    tenants: group.tenants,
  };
}

/** A stable hash of a snapshot: equal snapshots hash equal whatever the key order. */
export function snapshotHash(s: GroupSnapshot): string {
  return createHash('sha256').update(stableJson(s)).digest('hex').slice(0, 16);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
