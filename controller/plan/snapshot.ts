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

/**
 * A stable hash of a snapshot: equal snapshots hash equal whatever the key
 * order. Held groups keep it in the state (`held.snapshotHash`), so the text
 * hashed (stableJson) must never change.
 */
export function snapshotHash(s: GroupSnapshot): string {
  let hash = hashes.get(s);
  if (hash === undefined) {
    hash = createHash('sha256').update(stableJson(s)).digest('hex').slice(0, 16);
    hashes.set(s, hash);
  }
  return hash;
}

/**
 * JSON with each object's keys in code-unit order and its undefined members
 * left out. A look at 10,000 groups hashes every snapshot it has not seen:
 * written in one pass, without arrays of entries to filter, sort and join.
 */
export function stableJson(value: object): string {
  return canonical(value)!;
}

/** Keys as JSON text: snapshots repeat a few dozen keys (a tenant's, a database's) over and over. */
const quotedKeys = new Map<string, string>();

function quoted(key: string): string {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    // Bounded: service names are keys too, and a constellation may name many.
    if (quotedKeys.size < 1000) quotedKeys.set(key, text);
  }
  return text;
}

/** stableJson of any value: undefined where JSON.stringify gives nothing (undefined, a function). */
function canonical(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) as string | undefined;
  if (Array.isArray(value)) {
    // An element that gives nothing is written as nothing, as `join` writes it.
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i ? ',' : ''}${canonical(value[i]) ?? ''}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // The default sort is code-unit order: the keys are strings.
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    // A member that gives nothing (a function) reads "undefined", as it always has: hashes are kept in the state.
    out += `${out.length > 1 ? ',' : ''}${quoted(key)}:${String(canonical(v))}`;
  }
  return `${out}}`;
}
