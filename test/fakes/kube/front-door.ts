/**
 * The HTTP side of the stand-in: reads each request, logs it, authenticates it,
 * applies `failNext` rules, authorizes it with RBAC and hands it on; writes the
 * reply as JSON. Test code only.
 *
 * Order, as in kube-apiserver: authentication (401), then injected failures,
 * then discovery (open to any authenticated caller), then authorization (403),
 * then the verb. The default field manager of a write without `fieldManager` is
 * the User-Agent up to its first '/', else `unknown`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Services, dispatch } from './dispatch.js';
import { discovery } from './discovery.js';
import type { KubeUser, Rbac } from './rbac.js';
import { type ResourceRoute, attributesOf, parseResourcePath } from './routing.js';
import {
  type RequestAttributes,
  forbidden,
  injectedFailure,
  methodNotAllowed,
  pathNotFound,
  unauthorized,
} from './status.js';
import type { Reply } from './types.js';
import type { WriteOptions } from './writes.js';

/** One request as the stand-in saw it, in arrival order. */
export interface KubeRequest {
  method: string;
  /** Path without query string. */
  path: string;
  query: Record<string, string>;
  /** Media type of the body, without parameters. */
  contentType?: string;
  fieldManager?: string;
  /** The body as sent (a write's object or patch), when there was one. */
  body?: string;
  /** The HTTP status answered (200 for a watch that started streaming). */
  status: number;
  /** The authenticated user (`system:admin` without `rbac`); unset when authentication failed. */
  user?: string;
  /** The RBAC verb, API group, resource (`deployments/status` for the subresource), namespace and name. */
  verb?: string;
  apiGroup?: string;
  resource?: string;
  namespace?: string;
  name?: string;
}

/** Which requests a `failNext` rule fails: by method, by path, and while `when` (asked per request) is true. */
export interface FailureMatch {
  method?: string;
  pathIncludes?: string;
  when?: () => boolean;
}

/** A `failNext` rule. */
interface FailureRule extends FailureMatch {
  status: number;
  left: number;
}

const ADMIN: KubeUser = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

/** Handles the requests of one server. */
export class FrontDoor {
  /** Every request, in order. */
  readonly requests: KubeRequest[] = [];
  /** `host:port` of the server, for `/api`'s serverAddressByClientCIDRs. */
  hostPort = '';
  readonly #failures: FailureRule[] = [];

  constructor(
    private readonly services: Services,
    private readonly rbac: Rbac | undefined,
  ) {}

  /** Answers one request (a watch keeps streaming after this resolves). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const raw = await readBody(req);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const entry: KubeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      ...(contentType ? { contentType } : {}),
      ...(raw ? { body: raw } : {}),
      ...(url.searchParams.has('fieldManager')
        ? { fieldManager: url.searchParams.get('fieldManager') ?? '' }
        : {}),
    };
    this.requests.push(entry);
    this.services.watches.tick();
    const reply = this.#route(req, res, url, raw, entry);
    entry.status = reply?.status ?? 200;
    if (reply) send(res, reply);
  }

  /** Makes the next `count` requests matching `match` fail with `status`. */
  failNext(match: FailureMatch, status: number, count: number): void {
    if (count > 0) this.#failures.push({ ...match, status, left: count });
  }

  #route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    raw: string,
    entry: KubeRequest,
  ): Reply | undefined {
    const user = this.rbac ? this.rbac.authenticate(req.headers.authorization) : ADMIN;
    if (!user) return unauthorized();
    entry.user = user.name;
    const target = parseResourcePath(url.pathname);
    const failure = this.#takeFailure(entry.method, url.pathname + url.search);
    if (failure !== undefined) return injectedFailure(failure, target?.def, target?.name);
    if (/^\/(healthz|livez|readyz)$/.test(url.pathname)) return { status: 200, body: 'ok' };
    const disco = discovery(url.pathname, this.hostPort);
    if (disco) return disco;
    if (!target) return pathNotFound();
    const attrs = attributesOf(entry.method, target, url.searchParams);
    if (!attrs) return methodNotAllowed();
    const { verb, group: apiGroup, resource, namespace, name } = attrs;
    Object.assign(entry, { verb, apiGroup, resource, namespace, ...(name !== undefined ? { name } : {}) });
    if (this.rbac && !this.rbac.authorize(user, attrs)) return forbidden(target.def, attrs, user.name);
    const options = this.#writeOptions(req, url.searchParams, target, attrs, user);
    const contentType = entry.contentType ?? '';
    return dispatch(this.services, {
      method: entry.method,
      route: target,
      query: url.searchParams,
      raw,
      contentType,
      options,
      res,
    });
  }

  #writeOptions(
    req: IncomingMessage,
    q: URLSearchParams,
    target: ResourceRoute,
    attrs: RequestAttributes,
    user: KubeUser,
  ): WriteOptions {
    const force = q.get('force');
    const creating = { ...attrs, verb: 'create' };
    const rbac = this.rbac;
    return {
      manager: q.get('fieldManager') || (req.headers['user-agent'] ?? '').split('/')[0] || 'unknown',
      managerGiven: !!q.get('fieldManager'),
      dryRun: q.get('dryRun') === 'All',
      ...(force === null ? {} : { force: force === 'true' }),
      mayCreate: () =>
        rbac && !rbac.authorize(user, creating) ? forbidden(target.def, creating, user.name) : undefined,
    };
  }

  #takeFailure(method: string, path: string): number | undefined {
    const rule = this.#failures.find(
      (f) =>
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.pathIncludes || path.includes(f.pathIncludes)) &&
        (!f.when || f.when()),
    );
    if (!rule) return undefined;
    if (--rule.left <= 0) this.#failures.splice(this.#failures.indexOf(rule), 1);
    return rule.status;
  }
}

function send(res: ServerResponse, reply: Reply): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
  const type = typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(reply.status, { 'content-type': type, ...reply.headers }).end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
