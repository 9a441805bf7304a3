/**
 * Field ownership (`metadata.managedFields`) and server-side apply, after the
 * Kubernetes "Server-Side Apply" page. Test code only.
 *
 * - An Update (create, PUT, a non-apply patch, a status write) gives its manager
 *   every leaf whose value it changed and takes those from everyone else.
 * - An Apply owns exactly the leaves it sent. Sending a different value for a leaf
 *   another manager owns is a conflict unless `force`; with force ownership moves.
 *   Equal values are shared. A leaf the same manager applied before and now omits
 *   is removed from the object unless someone else owns it (pruning).
 * - Managers are told apart by name, operation, apiVersion and subresource, as
 *   Kubernetes does; a conflict names an Update manager as `"name" using apps/v1`
 *   and an Apply manager as `"name"` (apiserver `printManager`).
 */
import { type Leaves, type Part, type Seg, collect, fieldsV1, mergeApplied, removePath } from './fields.js';
import { type JsonObject, type ManagedFieldsEntry, clone, deepEqual, isObject } from './types.js';

/** One manager's fields. */
export interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time: string;
  paths: Map<string, readonly Seg[]>;
}

/** A field another manager owns with a different value. */
export interface FieldConflict {
  owner: Owner;
  path: string;
}

/** Who writes, through which apiVersion and part, and when. */
export interface Writer {
  manager: string;
  apiVersion: string;
  part: Part;
  time: string;
  builtIn: boolean;
}

/** Ownership after an Update-style write of `next` over `old` (undefined on create). */
export function recordUpdate(
  owners: readonly Owner[],
  old: JsonObject | undefined,
  next: JsonObject,
  w: Writer,
) {
  const before = old ? collect(old, w.part, w.builtIn) : new Map<string, never>();
  const after = collect(next, w.part, w.builtIn);
  const changed = new Map<string, readonly Seg[]>();
  for (const [path, leaf] of after) {
    const prior = before.get(path);
    if (!prior || !deepEqual(prior.value, leaf.value)) changed.set(path, leaf.segs);
  }
  const result = owners.map((o) => ({ ...o, paths: without(o.paths, changed) }));
  const subresource = w.part === 'status' ? 'status' : undefined;
  const mine = result.find(
    (o) =>
      o.manager === w.manager &&
      o.operation === 'Update' &&
      o.apiVersion === w.apiVersion &&
      o.subresource === subresource,
  );
  if (changed.size && mine) {
    for (const [path, segs] of changed) mine.paths.set(path, segs);
    mine.time = w.time;
  } else if (changed.size) {
    result.push({
      manager: w.manager,
      operation: 'Update',
      apiVersion: w.apiVersion,
      time: w.time,
      paths: changed,
    });
    if (subresource) result[result.length - 1]!.subresource = subresource;
  }
  return keepExisting(result, next, w.builtIn);
}

/** The outcome of an Apply: conflicts, or the merged object and the new ownership. */
export type ApplyOutcome = { conflicts: FieldConflict[] } | { object: JsonObject; owners: Owner[] };

/** Plans an Apply of `applied` (already stripped to what Apply may set) over `current`. */
export function planApply(
  owners: readonly Owner[],
  current: JsonObject | undefined,
  applied: JsonObject,
  w: Writer & { force: boolean },
): ApplyOutcome {
  const sent = collect(applied, 'main', w.builtIn);
  const now = current ? collect(current, 'main', w.builtIn) : new Map<string, never>();
  const isMine = (o: Owner) => o.manager === w.manager && o.operation === 'Apply' && !o.subresource;
  const others = owners.filter((o) => !isMine(o));
  const conflicts: FieldConflict[] = [];
  const taken = new Map<string, readonly Seg[]>();
  for (const [path, leaf] of sent) {
    const prior = now.get(path);
    if (!prior || deepEqual(prior.value, leaf.value)) continue;
    for (const owner of others.filter((o) => o.paths.has(path))) {
      conflicts.push({ owner, path });
      taken.set(path, leaf.segs);
    }
  }
  if (conflicts.length && !w.force) return { conflicts };
  // A copy: pruning below edits it in place, and `current` is the stored object.
  const object = mergeApplied(clone(current ?? {}), applied, undefined, w.builtIn) as JsonObject;
  const remaining = others.map((o) => ({ ...o, paths: without(o.paths, taken) }));
  const previous = owners.find(isMine);
  for (const [path, segs] of previous?.paths ?? []) {
    if (!sent.has(path) && !ownedByAny(remaining, path)) removePath(object, segs);
  }
  const paths = new Map([...sent].map(([path, leaf]) => [path, leaf.segs] as const));
  const unchanged = previous && previous.apiVersion === w.apiVersion && sameKeys(previous.paths, paths);
  const mine: Owner = {
    manager: w.manager,
    operation: 'Apply',
    apiVersion: w.apiVersion,
    time: unchanged ? previous.time : w.time,
    paths,
  };
  const ordered = previous
    ? owners.map((o) => (isMine(o) ? mine : remaining.find((r) => sameOwner(r, o))!))
    : [];
  return { object, owners: previous ? ordered : [...remaining, mine] };
}

/** Drops the paths no longer in `object` and the owners left with none. */
export function keepExisting(owners: readonly Owner[], object: JsonObject, builtIn: boolean): Owner[] {
  const present: Leaves = new Map([
    ...collect(object, 'main', builtIn),
    ...collect(object, 'status', builtIn),
  ]);
  return owners
    .map((o) => ({ ...o, paths: new Map([...o.paths].filter(([p]) => present.has(p))) }))
    .filter((o) => o.paths.size > 0);
}

/** `metadata.managedFields` for `owners`. */
export function managedFieldsOf(owners: readonly Owner[]): ManagedFieldsEntry[] {
  return owners.map((o) => ({
    manager: o.manager,
    operation: o.operation,
    apiVersion: o.apiVersion,
    time: o.time,
    fieldsType: 'FieldsV1',
    fieldsV1: fieldsV1(o.paths.values()),
    ...(o.subresource ? { subresource: o.subresource } : {}),
  }));
}

/** apiserver's `printManager`: `"kubectl" using apps/v1` for Update managers, `"name"` for Apply. */
export function printManager(o: Owner): string {
  const name = JSON.stringify(o.manager) + (o.subresource ? ` with subresource "${o.subresource}"` : '');
  return o.operation === 'Update' ? `${name} using ${o.apiVersion}` : name;
}

/** The 409 message and causes for apply conflicts (apiserver `NewConflictError`). */
export function conflictMessage(conflicts: readonly FieldConflict[]): {
  message: string;
  causes: { reason: string; message: string; field: string }[];
} {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.owner)}`,
    field: c.path,
  }));
  const [only] = conflicts;
  if (conflicts.length === 1 && only) {
    return {
      message: `Apply failed with 1 conflict: conflict with ${printManager(only.owner)}: ${only.path}`,
      causes,
    };
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts)
    byManager.set(printManager(c.owner), [...(byManager.get(printManager(c.owner)) ?? []), c.path]);
  const lines = [...byManager.keys()]
    .sort()
    .flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) ?? []).map((p) => `- ${p}`)]);
  return { message: `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, causes };
}

/** Whether an owner holds `path` or a field below it. */
function ownedByAny(owners: readonly Owner[], path: string): boolean {
  return owners.some((o) =>
    [...o.paths.keys()].some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`)),
  );
}

function without(paths: ReadonlyMap<string, readonly Seg[]>, drop: ReadonlyMap<string, unknown>) {
  return new Map([...paths].filter(([p]) => !drop.has(p)));
}

function sameKeys(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  return a.size === b.size && [...a.keys()].every((k) => b.has(k));
}

function sameOwner(a: Owner, b: Owner): boolean {
  return (
    a.manager === b.manager &&
    a.operation === b.operation &&
    a.apiVersion === b.apiVersion &&
    a.subresource === b.subresource
  );
}

/** What an Apply body may set: no apiVersion, kind, status or server-owned metadata. */
export function appliedPart(body: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k !== 'metadata') out[k] = v;
    else if (isObject(v)) {
      const meta: JsonObject = {};
      for (const m of ['labels', 'annotations', 'ownerReferences', 'finalizers'])
        if (v[m] !== undefined) meta[m] = v[m];
      out.metadata = meta;
    }
  }
  return out;
}
