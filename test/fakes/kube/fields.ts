/**
 * Field paths for server-side apply and managed fields. Test code only.
 *
 * An object is seen as its leaf fields: scalars, atomic lists and empty maps,
 * plus one entry per item of a keyed list (structured-merge-diff's associative
 * lists, e.g. containers by `name`). Paths print as structured-merge-diff does:
 * `.spec.replicas`, `.spec.template.spec.containers[name="web"].image`.
 *
 * Keyed lists (built-in types only; every list of a custom resource is atomic):
 * containers, initContainers, ephemeralContainers, env, volumes, imagePullSecrets
 * by `name`; volumeMounts by `mountPath`; ports by `containerPort` (container) or
 * `port` (Service); conditions by `type`; and everywhere `metadata.ownerReferences`
 * by `uid`. Simplification: Kubernetes keys ports by port and protocol.
 */
import { type JsonObject, clone, isObject } from './types.js';

/** One step of a path: an object field, or the item of a keyed list with this key. */
export type Seg = { field: string } | { key: Record<string, unknown> };

/** A leaf field and its value (for a keyed-list item: its key). */
export interface Leaf {
  segs: Seg[];
  value: unknown;
}

/** Leaves by printed path. */
export type Leaves = Map<string, Leaf>;

const KEYED: Record<string, readonly string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  imagePullSecrets: ['name'],
  volumeMounts: ['mountPath'],
  conditions: ['type'],
};

/** The key fields of list `field` when its items can be merged by key, else undefined (atomic). */
export function listKeys(
  field: string | undefined,
  items: unknown[],
  builtIn: boolean,
): string[] | undefined {
  if (!items.length || field === undefined) return undefined;
  let keys: readonly string[] | undefined;
  if (field === 'ownerReferences') keys = ['uid'];
  else if (builtIn && field === 'ports') {
    keys = items.every((i) => isObject(i) && i.containerPort !== undefined) ? ['containerPort'] : ['port'];
  } else if (builtIn) keys = KEYED[field];
  if (!keys) return undefined;
  const seen = new Set<string>();
  for (const item of items) {
    const key = isObject(item) ? keyOf(item, keys) : undefined;
    if (!key || seen.has(JSON.stringify(key))) return undefined;
    seen.add(JSON.stringify(key));
  }
  return [...keys];
}

/** The key record of a list item, undefined when a key field is missing or not a scalar. */
export function keyOf(item: JsonObject, keys: readonly string[]): Record<string, unknown> | undefined {
  const key: Record<string, unknown> = {};
  for (const k of keys) {
    const v = item[k];
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    key[k] = v;
  }
  return key;
}

/** `.spec.replicas`, `[name="web"]`. */
export function pathString(segs: readonly Seg[]): string {
  return segs
    .map((s) =>
      'field' in s
        ? `.${s.field}`
        : `[${Object.entries(s.key)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',')}]`,
    )
    .join('');
}

/** Which part of an object a write manages: the main resource, or the status subresource. */
export type Part = 'main' | 'status';

const OWNED_METADATA = ['labels', 'annotations', 'ownerReferences', 'finalizers'];

/**
 * The leaves of `object` in `part`: for the main resource everything but apiVersion,
 * kind, status and metadata other than labels, annotations, ownerReferences, finalizers.
 */
export function collect(object: JsonObject, part: Part, builtIn: boolean): Leaves {
  const leaves: Leaves = new Map();
  const add = (segs: Seg[], value: unknown) => leaves.set(pathString(segs), { segs, value });
  const walk = (value: unknown, segs: Seg[], field: string | undefined): void => {
    if (isObject(value) && Object.keys(value).length) {
      for (const [k, v] of Object.entries(value)) walk(v, [...segs, { field: k }], k);
    } else if (Array.isArray(value) && listKeys(field, value, builtIn)) {
      const keys = listKeys(field, value, builtIn) ?? [];
      for (const item of value as JsonObject[]) {
        const itemSegs: Seg[] = [...segs, { key: keyOf(item, keys) ?? {} }];
        add(itemSegs, keyOf(item, keys));
        for (const [k, v] of Object.entries(item)) walk(v, [...itemSegs, { field: k }], k);
      }
    } else add(segs, value);
  };
  for (const [k, v] of Object.entries(object)) {
    if (part === 'status' ? k !== 'status' : k === 'status' || k === 'apiVersion' || k === 'kind') continue;
    if (k !== 'metadata') walk(v, [{ field: k }], k);
    else if (isObject(v)) {
      for (const m of OWNED_METADATA) if (v[m] !== undefined) walk(v[m], [{ field: k }, { field: m }], m);
    }
  }
  return leaves;
}

function childOf(node: unknown, seg: Seg): unknown {
  if ('field' in seg) return isObject(node) ? node[seg.field] : undefined;
  return Array.isArray(node) ? node.find((item) => isObject(item) && matchesKey(item, seg.key)) : undefined;
}

function matchesKey(item: JsonObject, key: Record<string, unknown>): boolean {
  return Object.entries(key).every(([k, v]) => item[k] === v);
}

function removeChild(node: unknown, seg: Seg): void {
  if ('field' in seg) {
    if (isObject(node)) delete node[seg.field];
  } else if (Array.isArray(node)) {
    const at = node.findIndex((item) => isObject(item) && matchesKey(item, seg.key));
    if (at >= 0) node.splice(at, 1);
  }
}

/** Removes the field at `segs` from `node` (in place), then maps left empty below the top level. */
export function removePath(node: unknown, segs: readonly Seg[], depth = 0): void {
  const [head, ...rest] = segs;
  if (!head) return;
  if (!rest.length) return removeChild(node, head);
  const child = childOf(node, head);
  if (child === undefined) return;
  removePath(child, rest, depth + 1);
  if (depth >= 1 && isObject(child) && !Object.keys(child).length) removeChild(node, head);
}

/** Kubernetes' FieldsV1 rendering of a set of paths (`f:spec`, `k:{"name":"web"}`, `.`). */
export function fieldsV1(paths: Iterable<readonly Seg[]>): JsonObject {
  const root: JsonObject = {};
  for (const segs of paths) {
    let node = root;
    for (const seg of segs) {
      const name = 'field' in seg ? `f:${seg.field}` : `k:${JSON.stringify(seg.key)}`;
      node = (node[name] ??= {}) as JsonObject;
    }
    const last = segs[segs.length - 1];
    if (last && 'key' in last) node['.'] = {};
  }
  return root;
}

/**
 * `applied` merged into `current` as server-side apply does: maps field by field,
 * keyed lists item by item (items matched by key), anything else replaced.
 */
export function mergeApplied(
  current: unknown,
  applied: unknown,
  field: string | undefined,
  builtIn: boolean,
) {
  if (isObject(current) && isObject(applied)) {
    const out: JsonObject = { ...current };
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(current[k], v, k, builtIn);
    return out;
  }
  if (Array.isArray(current) && Array.isArray(applied)) {
    const keys = listKeys(field, applied, builtIn);
    if (keys && listKeys(field, current, builtIn)) {
      const out: unknown[] = [...current];
      for (const item of applied as JsonObject[]) {
        const key = keyOf(item, keys) ?? {};
        const at = out.findIndex((c) => isObject(c) && matchesKey(c, key));
        if (at >= 0) out[at] = mergeApplied(out[at], item, undefined, builtIn);
        else out.push(clone(item));
      }
      return out;
    }
  }
  return clone(applied);
}
