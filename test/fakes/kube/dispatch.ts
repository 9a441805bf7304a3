/**
 * Hands an authenticated, authorized resource request to its verb. Test code only.
 */
import type { ServerResponse } from 'node:http';
import type { WriteContext } from './commit.js';
import type { Controllers } from './controllers.js';
import { type ReadContext, getObject, listObjects } from './reads.js';
import { type ResourceRoute, isWatch } from './routing.js';
import { badRequest, methodNotAllowed } from './status.js';
import type { Reply } from './types.js';
import type { Watches } from './watch.js';
import { type Target, type WriteOptions, create, patch, remove, replace } from './writes.js';

/** The server's parts a request may use. */
export interface Services {
  write: WriteContext;
  read: ReadContext;
  watches: Watches;
  controllers: Controllers;
}

/** One resource request. */
export interface ResourceRequest {
  method: string;
  route: ResourceRoute;
  query: URLSearchParams;
  /** The body as text ('' when none). */
  raw: string;
  /** Media type without parameters, lower case. */
  contentType: string;
  options: WriteOptions;
  res: ServerResponse;
}

/** Answers the request; undefined when a watch took over the response. */
export function dispatch(s: Services, r: ResourceRequest): Reply | undefined {
  const { route, method } = r;
  if (method === 'GET') {
    if (route.name === undefined && isWatch(r.query)) return s.watches.start(r.res, route, r.query);
    if (route.name === undefined)
      return listObjects(s.read, route.def, route.version, route.namespace, r.query);
    return getObject(s.read, route.def, route.version, route.namespace ?? '', route.name);
  }
  if (route.namespace === undefined) return methodNotAllowed();
  const target: Target = {
    def: route.def,
    version: route.version,
    namespace: route.namespace,
    name: route.name ?? '',
    ...(route.subresource ? { subresource: route.subresource } : {}),
  };
  if (method === 'PATCH')
    return afterStatusWrite(s, target, patch(s.write, target, r.contentType, r.raw, r.options));
  let body: unknown;
  try {
    body = r.raw ? JSON.parse(r.raw) : undefined;
  } catch (err) {
    return badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  switch (method) {
    case 'POST':
      return create(s.write, target, body, r.options);
    case 'PUT':
      return afterStatusWrite(s, target, replace(s.write, target, body, r.options));
    case 'DELETE':
      return remove(s.write, target, body, r.options);
    default:
      return methodNotAllowed();
  }
}

/** Tells the controllers when a client wrote a status itself. */
function afterStatusWrite(s: Services, target: Target, reply: Reply): Reply {
  if (target.subresource === 'status' && reply.status < 300) {
    const record = s.write.store.get(target.def, target.namespace, target.name);
    if (record) s.controllers.onStatusWritten(record.object);
  }
  return reply;
}
