/**
 * The patch formats the apiserver accepts: JSON merge patch (RFC 7386), JSON
 * patch (RFC 6902) and a strategic merge patch for built-in types. Test code only.
 *
 * Strategic merge patch here is a merge patch whose keyed lists (see fields.ts)
 * merge item by item, with `$patch: delete` / `$patch: replace` honoured and
 * other `$` directives (`$setElementOrder`, `$retainKeys`, `$deleteFromPrimitiveList`) ignored.
 */
import { keyOf, listKeys } from './fields.js';
import { type JsonObject, clone, deepEqual, isObject } from './types.js';

/** A patch that cannot be applied; `status` is what the apiserver answers (400 or 422). */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 422,
  ) {
    super(message);
  }
}

/** RFC 7386: objects merge recursively, `null` removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge patch for built-in types (simplified; see the file comment). */
export function strategicMergePatch(target: unknown, patch: unknown, field?: string): unknown {
  if (Array.isArray(patch)) return mergeList(target, patch, field);
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v, k);
  }
  return out;
}

function mergeList(target: unknown, patch: unknown[], field: string | undefined): unknown {
  const keys = listKeys(
    field,
    patch.filter((p) => !(isObject(p) && p.$patch === 'delete' && Object.keys(p).length === 1)),
    true,
  );
  if (!keys || !Array.isArray(target))
    return patch.filter((p) => !(isObject(p) && p.$patch)).map(stripDirectives);
  const out: unknown[] = [...target];
  for (const item of patch as JsonObject[]) {
    const key = keyOf(item, keys) ?? {};
    const at = out.findIndex((c) => isObject(c) && Object.entries(key).every(([k, v]) => c[k] === v));
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = strategicMergePatch(out[at], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !k.startsWith('$'))
      .map(([k, v]) => [k, stripDirectives(v)]),
  );
}

/** One RFC 6902 operation. */
interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** RFC 6902 on a copy of `target`: add, remove, replace, move, copy, test. Throws `PatchError`. */
export function jsonPatch(target: JsonObject, patch: unknown): JsonObject {
  if (!Array.isArray(patch))
    throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch', 400);
  let doc: unknown = clone(target);
  for (const raw of patch) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError('Unable to decode JSON patch operation', 400);
    }
    doc = applyOperation(doc, raw as unknown as Operation);
  }
  return doc as JsonObject;
}

function applyOperation(doc: unknown, op: Operation): unknown {
  switch (op.op) {
    case 'add':
      return put(doc, op.path, clone(op.value), 'add');
    case 'replace':
      get(doc, op.path, 'replace');
      return put(doc, op.path, clone(op.value), 'replace');
    case 'remove':
      return remove(doc, op.path);
    case 'move': {
      const value = get(doc, op.from ?? '', 'move');
      return put(remove(doc, op.from ?? ''), op.path, value, 'add');
    }
    case 'copy':
      return put(doc, op.path, clone(get(doc, op.from ?? '', 'copy')), 'add');
    case 'test':
      if (!deepEqual(get(doc, op.path, 'test'), op.value)) {
        throw new PatchError(`testing value ${op.path} failed: test failed`, 422);
      }
      return doc;
    default:
      throw new PatchError(`Unexpected kind: ${op.op}`, 422);
  }
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${pointer}`, 422);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function pointerOf(path: readonly string[]): string {
  return path.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function missing(op: string, pointer: string): PatchError {
  return new PatchError(
    `${op} operation does not apply: doc is missing path: "${pointer}": missing value`,
    422,
  );
}

function get(doc: unknown, pointer: string, op: string): unknown {
  let node = doc;
  for (const t of tokens(pointer)) {
    if (Array.isArray(node) && /^\d+$/.test(t) && Number(t) < node.length) node = node[Number(t)];
    else if (isObject(node) && Object.prototype.hasOwnProperty.call(node, t)) node = node[t];
    else throw missing(op, pointer);
  }
  return node;
}

function put(doc: unknown, pointer: string, value: unknown, op: 'add' | 'replace'): unknown {
  const path = tokens(pointer);
  const last = path.pop();
  if (last === undefined) return value;
  const parent = get(doc, pointerOf(path), op);
  if (Array.isArray(parent)) {
    const at = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(at) || at < 0 || at > parent.length) throw missing(op, pointer);
    if (op === 'add') parent.splice(at, 0, value);
    else parent[at] = value;
  } else if (isObject(parent)) parent[last] = value;
  else throw missing(op, pointer);
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  get(doc, pointer, 'remove');
  const path = tokens(pointer);
  const last = path.pop() ?? '';
  const parent = get(doc, pointerOf(path), 'remove');
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return doc;
}
