/**
 * Shapes and JSON helpers shared by the Kubernetes stand-in's files. Test code only.
 */

/** One entry of `metadata.managedFields`, as the stand-in renders it. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  /** Nested `f:<field>` / `k:{key}` / `.` record of the owned fields, like Kubernetes' FieldsV1. */
  fieldsV1: JsonObject;
  subresource?: string;
}

/** The metadata every stored object carries (plus whatever else the writer sent). */
export interface KubeMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

/** A stored object as the stand-in returns it (a copy: changing it changes nothing stored). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMeta;
  [field: string]: unknown;
}

/** A JSON object of unknown fields. */
export type JsonObject = Record<string, unknown>;

/** What a handler answers; the HTTP layer JSON-encodes `body`. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A deep copy of JSON data. */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** JSON text with object keys sorted, so equal data gives equal text. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** Whether two JSON values are equal (object key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}

/** `value[key]` as an object, `{}` when it is not one. */
export function objectAt(value: unknown, key: string): JsonObject {
  const inner = isObject(value) ? value[key] : undefined;
  return isObject(inner) ? inner : {};
}

/** The object's metadata, created when missing. */
export function metaOf(object: JsonObject): JsonObject {
  if (!isObject(object.metadata)) object.metadata = {};
  return object.metadata as JsonObject;
}

/** Kubernetes' time format: RFC 3339 in UTC to the second. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
