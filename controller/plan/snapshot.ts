import { createHash } from 'node:crypto';
import type { Constellation, Group, Release } from '../model/types.js';
import type { GroupSnapshot } from '../state/types.js';

/**
 * Snapshots and hashes already computed. The model's objects never change and
 * loading keeps the objects of unchanged files, so a controller planning
 * 10,000 groups every tick recomputes only what a commit changed.
 */
const snapshots = new WeakMap<Group, { readonly release: Release; readonly snapshot: GroupSnapshot }>();
const hashes = new WeakMap<GroupSnapshot, string>();

/** What `constellation` asks of `group`: its ring's release with its services, its resources and tenants. */
export function snapshotOf(constellation: Constellation, group: Group): GroupSnapshot {
  const ring = constellation.rings.find((r) => r.name === group.ring)!;
  const release = constellation.releases.get(ring.release)!;
  const kept = snapshots.get(group);
  if (kept?.release === release && kept.snapshot.ring === ring.name) return kept.snapshot;
  const snapshot = buildSnapshot(ring.name, release, group);
  snapshots.set(group, { release, snapshot });
  return snapshot;
}

/** The images of a release's services, one record per release however many groups run it. */
const imagesOf = new WeakMap<Release, Readonly<Record<string, string>>>();

function buildSnapshot(ring: string, release: Release, group: Group): GroupSnapshot {
  let services = imagesOf.get(release);
  if (!services) {
    services = Object.fromEntries(Object.entries(release.services).map(([name, s]) => [name, s.image]));
    imagesOf.set(release, services);
  }
  return {
    ring,
    release: release.version,
    schemaVersion: release.schemaVersion,
    services,
    resources: group.resources,
    tenants: group.tenants,
  };
}

/** A stable hash of a snapshot: equal snapshots hash equal whatever the key order. */
export function snapshotHash(s: GroupSnapshot): string {
  let hash = hashes.get(s);
  if (hash === undefined) {
    hash = createHash('sha256').update(stableJson(s)).digest('hex').slice(0, 16);
    hashes.set(s, hash);
  }
  return hash;
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
