/**
 * A local GitHub REST API server for adapter and end-to-end tests: node:http on
 * 127.0.0.1, an in-memory `GitHubState` to seed and inspect, GitHub's validation
 * rules, rate-limit headers, primary and secondary limits, ETags and a request log.
 * Test code only: production code must never import it.
 *
 * Usage: `const gh = await startGitHubServer({ repos: ['acme/app'] });`
 * `new Octokit({ auth: 'token', baseUrl: gh.url })`; seed with `gh.state`,
 * inspect `gh.log`, and `await gh.close()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiContext, type ApiRequest, type Reply, notFound } from './github-api.js';
import { collaboratorPermission } from './github-collaborators.js';
import { RateLimiter } from './github-limits.js';
import {
  addLabels,
  commitPulls,
  createComment,
  createPull,
  getPull,
  listPullCommits,
  listPulls,
  listReviews,
} from './github-pulls.js';
import { type ViewerRole, getRepo } from './github-repos.js';
import { DOCS } from './github-shapes.js';
import { GitHubState } from './github-state.js';
import { combinedStatus, createStatus, listStatuses } from './github-statuses.js';
import { type OrgRequest, teamMembership } from './github-teams.js';

/** Options of `startGitHubServer`; every one has a default. */
export interface GitHubServerOptions {
  /** The only token accepted; default: any non-empty token. */
  token?: string;
  /** Login of the authenticated account (creator of statuses, pull requests, comments); default `ringmaster[bot]`. */
  login?: string;
  /** Numeric id of that account, shown in the primary-limit message; default 4242. */
  userId?: number;
  /** Repositories that exist from the start (`owner/name`); seeding creates others. */
  repos?: string[];
  /** Accept any 40-hex sha as a commit instead of only seeded ones; default false. */
  anyCommit?: boolean;
  /** Primary budget per window; default 5000. */
  rateLimit?: number;
  /** Primary window length; default 3600 s. */
  rateLimitWindowSeconds?: number;
  /** Statuses allowed per (sha, context); default 1000, GitHub's documented limit. */
  maxStatusesPerContext?: number;
  /** Content-creating requests (every non-GET) allowed per minute; default unlimited. */
  maxWritesPerMinute?: number;
  /** Content-creating requests allowed per hour; default unlimited. */
  maxWritesPerHour?: number;
  /** Clock in epoch milliseconds; default `Date.now`. */
  now?: () => number;
  /** Base of rendered `html_url`s; default `https://github.com`. */
  htmlUrl?: string;
  /** The authenticated account's role on every repository; default `admin`. */
  viewerRole?: ViewerRole;
  /**
   * Makes the token a classic one with these scopes: every answer then carries
   * `x-oauth-scopes`, as GitHub's do. Default: no header (a fine-grained token or an App).
   */
  scopes?: readonly string[];
  /**
   * Endpoints a fine-grained token may not use: a request whose path matches
   * answers 403 "Resource not accessible by personal access token" with the
   * permission it wanted in `x-accepted-github-permissions`, as GitHub does.
   */
  denied?: readonly { readonly pattern: RegExp; readonly permission: string }[];
}

/** One request as the server saw it, in arrival order. */
export interface LoggedRequest {
  method: string;
  /** Path without query string. */
  path: string;
  query: Record<string, string>;
  status: number;
  /** Clock reading when answered (epoch ms). */
  time: number;
  /** Parsed JSON body, `undefined` when none. */
  body: unknown;
  /** Set when a rate limit refused the request. */
  limited?: 'primary' | 'secondary';
}

/** A running fake. */
export interface GitHubServer {
  /** Base URL for Octokit's `baseUrl`, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  url: string;
  /**
   * The world: seed with `repo`, `addCommit`, `setBranch`, `addPull`, `addReview`, `addIssue`,
   * `addTeamMember`, `setRole`, `grantWrite`, `deleteAccount`, `setCommitAccounts`.
   */
  state: GitHubState;
  /** Every request, in order. */
  log: LoggedRequest[];
  /** The primary and content-creation limits; `remaining()`, `reset()`, `setRemaining(n)`. */
  limits: RateLimiter;
  /** Makes the next `count` requests answer a secondary rate limit with `retry-after`. */
  secondaryLimit(count: number, retryAfterSeconds: number, status?: 403 | 429): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

type Handler = (ctx: ApiContext, req: ApiRequest) => Reply;
interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: Handler;
}

const REPO = '^/repos/(?<owner>[^/]+)/(?<repo>[^/]+)';
const ROUTES: Route[] = [
  { method: 'GET', pattern: new RegExp(`${REPO}$`), handler: getRepo },
  { method: 'POST', pattern: new RegExp(`${REPO}/statuses/(?<sha>[^/]+)$`), handler: createStatus },
  { method: 'GET', pattern: new RegExp(`${REPO}/commits/(?<ref>.+)/statuses$`), handler: listStatuses },
  { method: 'GET', pattern: new RegExp(`${REPO}/commits/(?<ref>.+)/status$`), handler: combinedStatus },
  { method: 'GET', pattern: new RegExp(`${REPO}/commits/(?<sha>[^/]+)/pulls$`), handler: commitPulls },
  { method: 'GET', pattern: new RegExp(`${REPO}/pulls$`), handler: listPulls },
  { method: 'POST', pattern: new RegExp(`${REPO}/pulls$`), handler: createPull },
  { method: 'GET', pattern: new RegExp(`${REPO}/pulls/(?<number>\\d+)$`), handler: getPull },
  { method: 'GET', pattern: new RegExp(`${REPO}/pulls/(?<number>\\d+)/reviews$`), handler: listReviews },
  { method: 'GET', pattern: new RegExp(`${REPO}/pulls/(?<number>\\d+)/commits$`), handler: listPullCommits },
  { method: 'POST', pattern: new RegExp(`${REPO}/issues/(?<number>\\d+)/comments$`), handler: createComment },
  { method: 'POST', pattern: new RegExp(`${REPO}/issues/(?<number>\\d+)/labels$`), handler: addLabels },
  {
    method: 'GET',
    pattern: new RegExp(`${REPO}/collaborators/(?<username>[^/]+)/permission$`),
    handler: collaboratorPermission,
  },
];

/** A route under `/orgs/{org}`, which names no repository. */
interface OrgRoute {
  method: 'GET';
  pattern: RegExp;
  handler: (ctx: ApiContext, req: OrgRequest) => Reply;
}

const ORG = '^/orgs/(?<org>[^/]+)';
const ORG_ROUTES: OrgRoute[] = [
  {
    method: 'GET',
    pattern: new RegExp(`${ORG}/teams/(?<team>[^/]+)/memberships/(?<username>[^/]+)$`),
    handler: teamMembership,
  },
];

/** Starts the fake on 127.0.0.1 with an ephemeral port; resolves once listening. */
export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const now = options.now ?? Date.now;
  const login = options.login ?? 'ringmaster[bot]';
  const state = new GitHubState(now, {
    login,
    id: options.userId ?? 4242,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
  });
  for (const repo of options.repos ?? []) state.repo(repo);
  const limits = new RateLimiter({
    limit: options.rateLimit ?? 5000,
    windowSeconds: options.rateLimitWindowSeconds ?? 3600,
    maxWritesPerMinute: options.maxWritesPerMinute,
    maxWritesPerHour: options.maxWritesPerHour,
    now,
  });
  const log: LoggedRequest[] = [];
  const ctx: ApiContext = {
    state,
    urls: { api: '', html: options.htmlUrl ?? 'https://github.com' },
    anyCommit: options.anyCommit ?? false,
    maxStatusesPerContext: options.maxStatusesPerContext ?? 1000,
    viewerRole: options.viewerRole ?? 'admin',
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', ctx.urls.api);
    const method = req.method ?? 'GET';
    const parsed = parseJson(await readBody(req));
    const rid = requestId();
    const entry: LoggedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      time: now(),
      body: parsed.value,
    };
    log.push(entry);
    const refusal = gate(req.headers.authorization, method !== 'GET' && method !== 'HEAD', rid);
    if (refusal?.limited) entry.limited = refusal.limited;
    const reply = refusal?.reply ?? serve(method, url, parsed, req.headers['if-none-match']);
    entry.status = reply.status;
    entry.time = now();
    const headers: Record<string, string> = {
      'x-github-request-id': rid,
      'x-github-media-type': 'github.v3; format=json',
      ...limits.headers(),
      ...(options.scopes ? { 'x-oauth-scopes': options.scopes.join(', ') } : {}),
      ...reply.headers,
    };
    if (reply.status === 304 || reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(reply.status, headers).end(JSON.stringify(reply.body));
  }

  /** Authentication, then the primary limit, then secondary limits; undefined lets the request through. */
  function gate(
    authorization: string | undefined,
    isWrite: boolean,
    rid: string,
  ): { reply: Reply; limited?: 'primary' | 'secondary' } | undefined {
    if (!authorized(authorization, options.token))
      return { reply: errorReply(401, 'Bad credentials', DOCS.rest) };
    const support = `If you reach out to GitHub Support for help, please include the request ID ${rid}.`;
    if (limits.remaining() === 0) {
      const message = `API rate limit exceeded for user ID ${state.viewer.id}. ${support}`;
      return { reply: errorReply(403, message, DOCS.primaryLimit), limited: 'primary' };
    }
    const refusal = limits.secondary(isWrite);
    if (!refusal) return undefined;
    limits.consume();
    const message = `${refusal.kind === 'content-creation' ? CONTENT_LIMIT : SECONDARY_LIMIT} ${support}`;
    const reply = errorReply(refusal.status, message, DOCS.secondaryLimit);
    return {
      reply: { ...reply, headers: { 'retry-after': String(refusal.retryAfter) } },
      limited: 'secondary',
    };
  }

  /** Routes an admitted request, answering 304 to a matching ETag without counting it. */
  function serve(method: string, url: URL, parsed: ParsedBody, ifNoneMatch: string | undefined): Reply {
    if (!parsed.ok) {
      limits.consume();
      return errorReply(400, 'Problems parsing JSON', DOCS.rest);
    }
    const denial = options.denied?.find((d) => d.pattern.test(url.pathname));
    if (denial) {
      limits.consume();
      const reply = errorReply(403, 'Resource not accessible by personal access token', DOCS.rest);
      return { ...reply, headers: { 'x-accepted-github-permissions': denial.permission } };
    }
    const reply = route(method, url, parsed.value);
    if (method === 'GET' && reply.status === 200) {
      const etag = `W/"${createHash('sha256').update(JSON.stringify(reply.body)).digest('hex').slice(0, 32)}"`;
      // GitHub: a conditional request answered 304 does not count against the primary limit.
      if (etagMatches(ifNoneMatch, etag)) return { status: 304, headers: { ...reply.headers, etag } };
      limits.consume();
      return { ...reply, headers: { ...reply.headers, etag } };
    }
    limits.consume();
    if (method !== 'GET' && method !== 'HEAD' && reply.status < 300) limits.recordWrite();
    return reply;
  }

  function route(method: string, url: URL, body: unknown): Reply {
    for (const r of ORG_ROUTES) {
      const m = r.method === method ? r.pattern.exec(url.pathname) : null;
      if (m?.groups) return r.handler(ctx, { params: decodeParams(m.groups), url });
    }
    for (const r of ROUTES) {
      const m = r.method === method ? r.pattern.exec(url.pathname) : null;
      if (!m?.groups) continue;
      const params = Object.fromEntries(
        Object.entries(m.groups).map(([k, v]) => [k, decodeURIComponent(v ?? '')]),
      );
      const repo = state.getRepo(params.owner ?? '', params.repo ?? '');
      if (!repo) return notFound();
      return r.handler(ctx, { repo, params, url, body });
    }
    return notFound();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  ctx.urls.api = `http://127.0.0.1:${port}`;
  return {
    url: ctx.urls.api,
    state,
    log,
    limits,
    secondaryLimit: (count, retryAfterSeconds, status = 403) =>
      limits.force(count, retryAfterSeconds, status),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

// GitHub's wording; @octokit/plugin-throttling recognises a secondary limit by /\bsecondary rate\b/i.
const SECONDARY_LIMIT =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
const CONTENT_LIMIT =
  'You have exceeded a secondary rate limit and have been temporarily blocked from content creation. ' +
  'Please retry your request again later.';

interface ParsedBody {
  ok: boolean;
  /** The parsed JSON, the raw text when it is not JSON, undefined when empty. */
  value: unknown;
}

function decodeParams(groups: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, decodeURIComponent(v ?? '')]));
}

function parseJson(raw: Buffer): ParsedBody {
  if (!raw.length) return { ok: true, value: undefined };
  const text = raw.toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: text };
  }
}

function errorReply(status: number, message: string, documentationUrl: string): Reply {
  return { status, body: { message, documentation_url: documentationUrl, status: String(status) } };
}

function authorized(header: string | undefined, token: string | undefined): boolean {
  const m = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1] !== undefined && (token === undefined || m[1] === token);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

function requestId(): string {
  return randomBytes(8)
    .toString('hex')
    .toUpperCase()
    .replace(/(.{4})(.{4})(.{4})(.{4})/, '$1:$2:$3:$4');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
