/**
 * The write pipeline every create, replace, patch, apply and status write ends
 * in: subresource rules, defaults, validation, field ownership, generation, the
 * no-op check and storage. Test code only.
 */
import { randomUUID } from 'node:crypto';
import { applyDefaults } from './defaults.js';
import { type Owner, keepExisting, managedFieldsOf, recordUpdate } from './field-manager.js';
import type { Part } from './fields.js';
import { istioErrors } from './istio-validation.js';
import { type ResourceDef, apiVersionOf, resourceAt } from './resources.js';
import { alreadyExists, badRequest, invalidObject } from './status.js';
import type { ObjectStore, StoredRecord } from './store.js';
import {
  type JsonObject,
  type KubeObject,
  type Reply,
  clone,
  deepEqual,
  isObject,
  kubeTime,
} from './types.js';
import { kindErrors, labelErrors, leaseTimeError, nameErrors, schemaErrors } from './validation.js';

/** What writes share: the store, the clock, and Service IP allocation. */
export interface WriteContext {
  store: ObjectStore;
  /** Epoch milliseconds. */
  now: () => number;
  allocateIp: () => string;
}

/** One write to commit. */
export interface CommitRequest {
  def: ResourceDef;
  /** The API version the request used (managedFields `apiVersion`, the reply's apiVersion). */
  version: string;
  namespace: string;
  name: string;
  /** The stored record being replaced; undefined to create. */
  old: StoredRecord | undefined;
  /** The full candidate object. */
  next: JsonObject;
  part: Part;
  manager: string;
  /** Ownership already worked out by an Apply. */
  applyOwners?: Owner[];
  dryRun?: boolean;
}

/** The object as a request of `version` sees it: a copy with apiVersion rewritten. */
export function render(object: KubeObject, def: ResourceDef, version: string): KubeObject {
  return { ...clone(object), apiVersion: apiVersionOf(def, version) };
}

/** Runs the pipeline; answers 201 on create, 200 on update (also for a no-op), or a failure Status. */
export function commit(ctx: WriteContext, req: CommitRequest): Reply {
  const { def, old } = req;
  const next = shapeCandidate(req);
  const leaseError = leaseTimeError(def, next, req.version);
  if (leaseError) return badRequest(leaseError);
  applyDefaults(def, next, old?.object, ctx.allocateIp);
  const errors = [
    ...(old ? [] : nameErrors(def, req.name)),
    ...schemaErrors(def, next),
    ...labelErrors((next.metadata as JsonObject).labels, 'metadata.labels'),
    ...kindErrors(def, next, old?.object),
    ...istioErrors(next, req.namespace, siblings(ctx, req)),
  ];
  if (errors.length) return invalidObject(def, req.name, errors);
  if (!old && ctx.store.get(def, req.namespace, req.name)) return alreadyExists(def, req.name);
  const time = kubeTime(ctx.now());
  const owners = req.applyOwners
    ? keepExisting(req.applyOwners, next, def.builtIn)
    : recordUpdate(old?.owners ?? [], old?.object, next, {
        manager: req.manager,
        apiVersion: apiVersionOf(def, req.version),
        part: req.part,
        time,
        builtIn: def.builtIn,
      });
  const final = assemble(def, next, old, owners, time);
  if (old && deepEqual(withoutTimes(old.object), withoutTimes(final))) {
    return { status: 200, body: render(old.object, def, req.version) };
  }
  const status = old ? 200 : 201;
  if (req.dryRun) return { status, body: render(final, def, req.version) };
  const record = ctx.store.write(def, final, owners);
  return { status, body: render(record.object, def, req.version) };
}

/** The candidate with name and namespace set and the other part taken from the stored object. */
function shapeCandidate(req: CommitRequest): JsonObject {
  const { def, old } = req;
  let next = clone(req.next);
  if (old && req.part === 'status') next = { ...clone(old.object), status: next.status };
  else if (def.statusSubresource && old) next.status = clone(old.object.status);
  else if (def.statusSubresource) delete next.status;
  if (next.status === undefined) delete next.status;
  const meta = isObject(next.metadata) ? { ...next.metadata } : {};
  delete meta.managedFields;
  next.metadata = { ...meta, name: req.name, namespace: req.namespace };
  next.kind = def.kind;
  return next;
}

/** The DestinationRules a VirtualService's subsets are checked against. */
function siblings(ctx: WriteContext, req: CommitRequest): JsonObject[] {
  const rules = resourceAt('networking.istio.io', 'v1', 'destinationrules');
  if (req.def.kind !== 'VirtualService' || !rules) return [];
  return ctx.store.list(rules, req.namespace).map((r) => r.object);
}

/** The object to store: server-owned metadata first and from the stored object, generation bumped on spec changes. */
function assemble(
  def: ResourceDef,
  next: JsonObject,
  old: StoredRecord | undefined,
  owners: Owner[],
  time: string,
): KubeObject {
  const { metadata, apiVersion: _apiVersion, kind: _kind, ...rest } = next;
  const meta = { ...(metadata as JsonObject) };
  for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields'])
    delete meta[k];
  const before = old?.object;
  const generation = !before
    ? 1
    : specChanged(before, next)
      ? before.metadata.generation + 1
      : before.metadata.generation;
  const { name, namespace, ...others } = meta;
  return {
    apiVersion: apiVersionOf(def, def.versions[0] ?? 'v1'),
    kind: def.kind,
    metadata: {
      name: String(name),
      namespace: String(namespace),
      uid: before?.metadata.uid ?? randomUUID(),
      resourceVersion: before?.metadata.resourceVersion ?? '',
      generation,
      creationTimestamp: before?.metadata.creationTimestamp ?? time,
      ...others,
      ...(owners.length ? { managedFields: managedFieldsOf(owners) } : {}),
    },
    ...rest,
  };
}

/** Whether anything but metadata and status changed (the CRD rule for `metadata.generation`). */
function specChanged(before: JsonObject, after: JsonObject): boolean {
  const strip = (o: JsonObject) => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  };
  return !deepEqual(strip(before), strip(after));
}

function withoutTimes(object: KubeObject): unknown {
  const managed = (object.metadata.managedFields ?? []).map(({ time: _time, ...entry }) => entry);
  return { ...object, metadata: { ...object.metadata, managedFields: managed } };
}
