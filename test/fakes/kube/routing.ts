/**
 * Request paths to resources, and HTTP methods to RBAC verbs. Test code only.
 *
 * Namespaced paths: `/api/v1/namespaces/{ns}/{plural}[/{name}[/status]]` and
 * `/apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}[/status]]`;
 * across namespaces (list and watch only): `/api/v1/{plural}`, `/apis/{group}/{version}/{plural}`.
 */
import { type ResourceDef, resourceAt } from './resources.js';
import type { RequestAttributes } from './status.js';

/** A request addressed to a served resource. */
export interface ResourceRoute {
  def: ResourceDef;
  version: string;
  /** undefined for a request across all namespaces. */
  namespace?: string;
  name?: string;
  subresource?: 'status';
}

/** The resource a path addresses; undefined when it addresses none (404). */
export function parseResourcePath(path: string): ResourceRoute | undefined {
  const parts = path.replace(/\/+$/, '').split('/').slice(1).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') [group, rest] = ['', parts.slice(1)];
  else if (parts[0] === 'apis' && parts.length >= 3) [group, rest] = [parts[1] ?? '', parts.slice(2)];
  else return undefined;
  const [version = '', ...tail] = rest;
  let namespace: string | undefined;
  let names = tail;
  if (tail[0] === 'namespaces' && tail.length >= 3) [namespace, names] = [tail[1], tail.slice(2)];
  const [plural = '', name, subresource, ...extra] = names;
  const def = resourceAt(group, version, plural);
  if (!def || extra.length || (namespace === undefined && name !== undefined)) return undefined;
  if (subresource !== undefined && (subresource !== 'status' || !def.statusSubresource)) return undefined;
  return { def, version, namespace, name, ...(subresource ? { subresource: 'status' as const } : {}) };
}

/** Whether a GET asks to watch (`watch=1` or `watch=true`). */
export function isWatch(query: URLSearchParams): boolean {
  const w = query.get('watch');
  return w === '1' || w === 'true';
}

/** The RBAC attributes of a request, or undefined when the method is not served on the path (405). */
export function attributesOf(
  method: string,
  route: ResourceRoute,
  query: URLSearchParams,
): RequestAttributes | undefined {
  const verb = verbOf(method, route, query);
  if (!verb) return undefined;
  return {
    verb,
    group: route.def.group,
    resource: route.subresource ? `${route.def.plural}/${route.subresource}` : route.def.plural,
    namespace: route.namespace ?? '',
    ...(route.name !== undefined ? { name: route.name } : {}),
  };
}

function verbOf(method: string, route: ResourceRoute, query: URLSearchParams): string | undefined {
  const named = route.name !== undefined;
  const all = route.namespace === undefined;
  switch (method) {
    case 'GET':
      return named ? 'get' : isWatch(query) ? 'watch' : 'list';
    case 'POST':
      return named || all ? undefined : 'create';
    case 'PUT':
      return named ? 'update' : undefined;
    case 'PATCH':
      return named ? 'patch' : undefined;
    case 'DELETE':
      return named && !route.subresource ? 'delete' : undefined;
    default:
      return undefined;
  }
}
