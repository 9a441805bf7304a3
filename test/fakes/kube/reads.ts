/**
 * GET of an object and of a collection (List kinds with `metadata.resourceVersion`,
 * label and field selectors). Every object returned counts as a read for the
 * controllers. Test code only.
 *
 * As the real apiserver encodes them, items of a built-in type's list carry no
 * apiVersion or kind; items of a custom resource's list do.
 */
import { render } from './commit.js';
import type { Controllers } from './controllers.js';
import { type ResourceDef, apiVersionOf } from './resources.js';
import { SelectorError, fieldSelector, labelSelector } from './selectors.js';
import { badRequest, notFound } from './status.js';
import type { ObjectStore, StoredRecord } from './store.js';
import type { Reply } from './types.js';

/** What reads need: the store and the controllers that react to reads. */
export interface ReadContext {
  store: ObjectStore;
  controllers: Controllers;
}

/** GET of one object (or its /status): 200 with it, 404 when missing. */
export function getObject(
  ctx: ReadContext,
  def: ResourceDef,
  version: string,
  namespace: string,
  name: string,
) {
  const record = ctx.store.get(def, namespace, name);
  if (!record) return notFound(def, name);
  return { status: 200, body: render(ctx.controllers.onRead(record).object, def, version) };
}

/** The records of a collection request that pass its selectors, or a 400 for a bad selector. */
export function selectRecords(
  store: ObjectStore,
  def: ResourceDef,
  namespace: string | undefined,
  query: URLSearchParams,
): StoredRecord[] | Reply {
  try {
    const byLabel = labelSelector(query.get('labelSelector'));
    const byField = fieldSelector(query.get('fieldSelector'));
    return store.list(def, namespace).filter((r) => byLabel(r.object) && byField(r.object));
  } catch (err) {
    if (err instanceof SelectorError) return badRequest(err.message);
    throw err;
  }
}

/** GET of a collection: `<Kind>List` with the current resourceVersion. */
export function listObjects(
  ctx: ReadContext,
  def: ResourceDef,
  version: string,
  namespace: string | undefined,
  query: URLSearchParams,
): Reply {
  const selected = selectRecords(ctx.store, def, namespace, query);
  if (!Array.isArray(selected)) return selected;
  const items = selected.map((record) => {
    const object = render(ctx.controllers.onRead(record).object, def, version);
    if (!def.builtIn) return object;
    const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
    return rest;
  });
  return {
    status: 200,
    body: {
      kind: `${def.kind}List`,
      apiVersion: apiVersionOf(def, version),
      metadata: { resourceVersion: String(ctx.store.resourceVersion) },
      items,
    },
  };
}
