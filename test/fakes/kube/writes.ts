/**
 * The write verbs of the stand-in: POST (create), PUT (replace), PATCH (JSON,
 * merge, strategic merge, server-side apply) and DELETE, with the apiserver's
 * request checks before the common pipeline in commit.ts. Test code only.
 */
import { parse as parseYaml } from 'yaml';
import { type WriteContext, commit, render } from './commit.js';
import { appliedPart, conflictMessage, planApply } from './field-manager.js';
import { PatchError, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { type ResourceDef, apiVersionOf } from './resources.js';
import {
  OBJECT_MODIFIED,
  badRequest,
  conflict,
  invalidPatchOptions,
  notFound,
  statusReply,
  unsupportedMediaType,
} from './status.js';
import { type JsonObject, type Reply, isObject, kubeTime, objectAt } from './types.js';

/** The resource, version, namespace and (except for create) name a request addresses. */
export interface Target {
  def: ResourceDef;
  version: string;
  namespace: string;
  name: string;
  subresource?: 'status';
}

/** Query options of a write. */
export interface WriteOptions {
  manager: string;
  /** Whether `fieldManager` was given (required for apply). */
  managerGiven: boolean;
  force?: boolean;
  dryRun: boolean;
  /** Authorizes the creation an apply of a missing object implies; a reply refuses it. */
  mayCreate?: () => Reply | undefined;
}

/** Patch content types. */
export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** POST to a collection: 201 with the created object. `generateName` is honoured. */
export function create(ctx: WriteContext, t: Target, body: unknown, o: WriteOptions): Reply {
  const { object: checked, refusal } = checkBody(t, body, false);
  if (refusal) return refusal;
  const meta = objectAt(checked, 'metadata');
  let name = typeof meta.name === 'string' ? meta.name : '';
  if (!name && typeof meta.generateName === 'string' && meta.generateName) {
    name = meta.generateName + suffix(ctx.store.resourceVersion + 1);
  }
  return commit(ctx, {
    ...target(t, name),
    old: undefined,
    next: checked,
    part: 'main',
    manager: o.manager,
    dryRun: o.dryRun,
  });
}

/** PUT: 200 with the object; 404 when missing; 409 on a stale `metadata.resourceVersion` (absent: unconditional). */
export function replace(ctx: WriteContext, t: Target, body: unknown, o: WriteOptions): Reply {
  const { object: checked, refusal } = checkBody(t, body, true);
  if (refusal) return refusal;
  const old = ctx.store.get(t.def, t.namespace, t.name);
  if (!old) return notFound(t.def, t.name);
  const why = preconditionFailure(objectAt(checked, 'metadata'), old.object.metadata, 'update');
  if (why !== undefined) return conflict(t.def, t.name, why);
  const part = t.subresource === 'status' ? 'status' : 'main';
  return commit(ctx, {
    ...target(t, t.name),
    old,
    next: checked,
    part,
    manager: o.manager,
    dryRun: o.dryRun,
  });
}

/** PATCH with any of the four content types; 415 for others (and for strategic merge on custom resources). */
export function patch(
  ctx: WriteContext,
  t: Target,
  contentType: string,
  raw: string,
  o: WriteOptions,
): Reply {
  const accepted = t.def.builtIn
    ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply]
    : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply];
  if (!(accepted as string[]).includes(contentType)) return unsupportedMediaType(accepted);
  if (contentType === PATCH_TYPES.apply && t.subresource !== 'status') return apply(ctx, t, raw, o);
  if (o.force !== undefined && contentType !== PATCH_TYPES.apply) {
    return invalidPatchOptions({
      type: 'FieldValueForbidden',
      field: 'force',
      detail: 'may not be specified for non-apply patch',
    });
  }
  const old = ctx.store.get(t.def, t.namespace, t.name);
  if (!old) return notFound(t.def, t.name);
  let body: unknown;
  try {
    body = contentType === PATCH_TYPES.apply ? parseYaml(raw) : JSON.parse(raw);
  } catch (err) {
    return badRequest(`error decoding patch: ${(err as Error).message}`);
  }
  const current = render(old.object, t.def, t.version);
  let next: JsonObject;
  try {
    if (contentType === PATCH_TYPES.json) next = jsonPatch(current, body);
    else if (contentType === PATCH_TYPES.strategic) next = strategicMergePatch(current, body) as JsonObject;
    else next = mergePatch(current, body) as JsonObject;
  } catch (err) {
    if (!(err instanceof PatchError)) throw err;
    return err.status === 400
      ? badRequest(err.message)
      : statusReply(422, 'Invalid', err.message, { causes: [{ message: err.message }] });
  }
  if (!isObject(next)) return badRequest('the patch did not produce an object');
  const rv = objectAt(next, 'metadata').resourceVersion;
  if (rv !== undefined && rv !== old.object.metadata.resourceVersion) return conflict(t.def, t.name);
  const part = t.subresource === 'status' ? 'status' : 'main';
  return commit(ctx, { ...target(t, t.name), old, next, part, manager: o.manager, dryRun: o.dryRun });
}

/** Server-side apply: creates (201) or merges with field ownership; 409 on conflicts without force. */
function apply(ctx: WriteContext, t: Target, raw: string, o: WriteOptions): Reply {
  const { object: checked, refusal } = decodeApply(t, raw, o);
  if (refusal) return refusal;
  const meta = objectAt(checked, 'metadata');
  const old = ctx.store.get(t.def, t.namespace, t.name);
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== old?.object.metadata.resourceVersion) {
    return conflict(t.def, t.name);
  }
  const denied = old ? undefined : o.mayCreate?.();
  if (denied) return denied;
  const apiVersion = apiVersionOf(t.def, t.version);
  const outcome = planApply(old?.owners ?? [], old?.object, appliedPart(checked), {
    manager: o.manager,
    apiVersion,
    part: 'main',
    time: kubeTime(ctx.now()),
    builtIn: t.def.builtIn,
    force: o.force === true,
  });
  if ('conflicts' in outcome) {
    const { message, causes } = conflictMessage(outcome.conflicts);
    return statusReply(409, 'Conflict', message, { causes });
  }
  const next = { apiVersion, kind: t.def.kind, ...outcome.object };
  return commit(ctx, {
    ...target(t, t.name),
    old,
    next,
    part: 'main',
    manager: o.manager,
    applyOwners: outcome.owners,
    dryRun: o.dryRun,
  });
}

/** The apply body, refused unless it names a field manager, this resource and no managed fields. */
function decodeApply(t: Target, raw: string, o: WriteOptions): { object: JsonObject; refusal?: Reply } {
  const refuse = (refusal: Reply) => ({ object: {}, refusal });
  if (!o.managerGiven) {
    const detail = 'is required for apply patch';
    return refuse(invalidPatchOptions({ type: 'FieldValueRequired', field: 'fieldManager', detail }));
  }
  let body: unknown;
  try {
    body = parseYaml(raw);
  } catch (err) {
    return refuse(badRequest(`error decoding YAML: ${(err as Error).message}`));
  }
  if (!isObject(body)) return refuse(badRequest('the body of an apply patch must be an object'));
  const expected = apiVersionOf(t.def, t.version);
  if (body.apiVersion !== expected) {
    const sent = String(body.apiVersion ?? '');
    return refuse(
      badRequest(
        `the API version in the data (${sent}) does not match the expected API version (${expected})`,
      ),
    );
  }
  if (objectAt(body, 'metadata').managedFields !== undefined) {
    return refuse(badRequest('metadata.managedFields must be nil'));
  }
  return checkBody(t, { kind: '', ...body }, true);
}

/** DELETE: 200 with the deleted object; 404 when missing; 409 when DeleteOptions preconditions fail. */
export function remove(ctx: WriteContext, t: Target, body: unknown, o: WriteOptions): Reply {
  const old = ctx.store.get(t.def, t.namespace, t.name);
  if (!old) return notFound(t.def, t.name);
  const why = preconditionFailure(objectAt(body, 'preconditions'), old.object.metadata, 'delete');
  if (why !== undefined) return conflict(t.def, t.name, why);
  if (o.dryRun) return { status: 200, body: render(old.object, t.def, t.version) };
  const deleted = ctx.store.delete(t.def, t.namespace, t.name);
  return { status: 200, body: deleted ? render(deleted.object, t.def, t.version) : undefined };
}

/**
 * Why `wanted` (a PUT body's metadata, or DeleteOptions preconditions) does not fit
 * the stored metadata, in the apiserver's words; undefined when it fits.
 */
function preconditionFailure(wanted: JsonObject, stored: JsonObject, verb: 'update' | 'delete') {
  const { resourceVersion, uid } = wanted;
  if (typeof uid === 'string' && uid && uid !== stored.uid) {
    return `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(stored.uid)}`;
  }
  if (typeof resourceVersion !== 'string' || !resourceVersion || resourceVersion === stored.resourceVersion) {
    return undefined;
  }
  return verb === 'update'
    ? OBJECT_MODIFIED
    : `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${String(stored.resourceVersion)}`;
}

/** The body as an object whose metadata agrees with the URL, or a 400 reply. */
function checkBody(t: Target, body: unknown, nameRequired: boolean): { object: JsonObject; refusal?: Reply } {
  const refuse = (message: string) => ({ object: {}, refusal: badRequest(message) });
  if (!isObject(body)) return refuse('the body of the request could not be decoded as an object');
  if (body.kind !== undefined && body.kind !== t.def.kind) {
    return refuse(
      `the kind in the data (${String(body.kind)}) does not match the expected kind (${t.def.kind})`,
    );
  }
  const meta = objectAt(body, 'metadata');
  if (nameRequired && meta.name !== undefined && meta.name !== t.name) {
    return refuse(
      `the name of the object (${String(meta.name)}) does not match the name on the URL (${t.name})`,
    );
  }
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== t.namespace) {
    return refuse('the namespace of the provided object does not match the namespace sent on the request');
  }
  return { object: body };
}

function target(t: Target, name: string) {
  return { def: t.def, version: t.version, namespace: t.namespace, name };
}

/** A 5-character generateName suffix, deterministic per write. */
function suffix(n: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0, v = n * 7919 + 104729; i < 5; i++, v = Math.floor(v / alphabet.length) + i * 31) {
    out += alphabet[v % alphabet.length];
  }
  return out;
}
