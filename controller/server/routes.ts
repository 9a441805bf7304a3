/**
 * The routes of the controller's HTTP server as a table of path → method →
 * handler. Handlers return a `Reply` instead of writing the response, so the
 * server writes, logs and handles errors in one place.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Registry } from 'prom-client';
import type { Group } from '../model/types.js';
import type { ConsoleLink } from '../providers/consoles.js';
import type { CommitRecord } from '../state/commit-log.js';
import type { RecordedStatus } from '../status/reporter.js';
import type { HistoryItem } from '../state/history-view.js';
import type { ControllerStatus } from '../state/status-view.js';
import { renderCommitPage } from './commit-page.js';
import { renderGroupPage } from './group-page.js';
import { LIVE_SCRIPT_PATH, renderMessagePage } from './html.js';
import { LIVE_SCRIPT } from './live-script.js';
import { renderStatusPage } from './status-page.js';

/** What the webhook handler answers. */
export interface WebhookReply {
  readonly status: number;
  readonly body?: string;
}

/** What the routes read from the controller. */
export interface RouteSources {
  /** The current status, or undefined before the first reconcile produced one. */
  getStatus(): Promise<ControllerStatus | undefined>;
  /** True once the controller can do its work (for /readyz). */
  isReady(): boolean;
  /** Served at /metrics. */
  readonly registry: Registry;
  /** The transitions of a group or a commit (all when neither), newest first, at most `limit`; without it /api/history answers 404. */
  getHistory?(query: HistoryQuery, limit: number): Promise<readonly HistoryItem[]>;
  /** The commits looked at, newest first, at most `limit`; without it /api/commits answers 404. */
  getCommits?(limit: number): Promise<readonly CommitRecord[]>;
  /** The statuses written on `commit` (a whole id), the latest of each context. */
  getCommitStatuses?(commit: string): Promise<readonly RecordedStatus[]>;
  /** A group as the commit followed declares it (absent when it no longer does), and its console links. */
  getGroup?(name: string): Promise<{ readonly group?: Group; readonly consoles: readonly ConsoleLink[] }>;
  /** Receives `POST /webhook/github` with the raw body; without it the route answers 404. */
  onWebhook?(body: Buffer, headers: IncomingHttpHeaders): Promise<WebhookReply>;
  /** Largest request body read, in bytes; larger bodies get 413. */
  readonly maxBodyBytes: number;
}

/** Which transitions a history asks for. */
export interface HistoryQuery {
  readonly group?: string;
  /** A commit, whole or its first 7 or more hex digits. */
  readonly commit?: string;
}

/** A response as data; `closeConnection` when the request body was not read to its end. */
export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly closeConnection?: boolean;
}

/** Answers one request. */
export type Handler = (req: IncomingMessage) => Promise<Reply>;

/** The methods a route may answer; HEAD is answered wherever GET is. */
export type RouteMethod = 'GET' | 'POST';

/** Path → method → handler. */
export type RouteTable = ReadonlyMap<string, Readonly<Partial<Record<RouteMethod, Handler>>>>;

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const NO_STORE = { 'Cache-Control': 'no-store' };
// The pages run one script, ours, from this server, and fetch only from it: defence in depth behind escaping.
const HTML_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  ...NO_STORE,
};
const NOT_YET = 'status not available yet: the controller has not finished its first reconcile';

/** A plain-text reply of one line. */
export function textReply(status: number, line: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': TEXT, ...NO_STORE, ...headers }, body: `${line}\n` };
}

function jsonReply(status: number, value: unknown): Reply {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...NO_STORE }, body: JSON.stringify(value) };
}

/** The reply for a request whose handler failed; the details go to the log only. */
export function internalErrorReply(path: string): Reply {
  return path.startsWith('/api/')
    ? jsonReply(500, { error: 'internal error' })
    : textReply(500, 'internal error');
}

/** The reply for a request body over the limit; the connection closes instead of reading the rest. */
export function tooLargeReply(maxBodyBytes: number): Reply {
  return { ...textReply(413, `request body larger than ${maxBodyBytes} bytes`), closeConnection: true };
}

/**
 * Reads the request body up to `limit` bytes. Returns undefined, without
 * reading further, when the declared or actual length is over the limit.
 * Rejects when the request fails (for example the client went away).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      done();
      req.pause();
      resolve(undefined);
    };
    const onEnd = (): void => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

function webhookHandler(sources: RouteSources, onWebhook: NonNullable<RouteSources['onWebhook']>): Handler {
  return async (req) => {
    const body = await readBody(req, sources.maxBodyBytes);
    if (body === undefined) return tooLargeReply(sources.maxBodyBytes);
    const answer = await onWebhook(body, req.headers);
    if (!Number.isInteger(answer.status) || answer.status < 200 || answer.status > 599)
      throw new RangeError(`webhook handler answered with status ${answer.status}; expected 200-599`);
    return { status: answer.status, headers: { 'Content-Type': TEXT, ...NO_STORE }, body: answer.body ?? '' };
  };
}

/**
 * Builds the route table: /healthz, /readyz, /metrics, /api/status, the pages
 * (/, /groups/NAME, /commits/SHA and their script), and with their sources
 * /api/history, /api/commits and the webhook. A path ending in `/*` answers
 * for every path one segment below it.
 */
export function buildRoutes(sources: RouteSources): RouteTable {
  const routes = new Map<string, Partial<Record<RouteMethod, Handler>>>([
    ['/healthz', { GET: async () => textReply(200, 'ok') }],
    [
      '/readyz',
      {
        GET: async () =>
          sources.isReady() ? textReply(200, 'ready') : textReply(503, 'not ready: controller is starting'),
      },
    ],
    [
      '/metrics',
      {
        GET: async () => ({
          status: 200,
          headers: { 'Content-Type': sources.registry.contentType, ...NO_STORE },
          body: await sources.registry.metrics(),
        }),
      },
    ],
    [
      '/api/status',
      {
        GET: async () => {
          const status = await sources.getStatus();
          return status === undefined ? jsonReply(503, { error: NOT_YET }) : jsonReply(200, status);
        },
      },
    ],
    ['/', { GET: async (req) => overview(sources, req) }],
    [
      LIVE_SCRIPT_PATH,
      {
        GET: async () => ({
          status: 200,
          headers: {
            'Content-Type': 'text/javascript; charset=utf-8',
            'X-Content-Type-Options': 'nosniff',
            ...NO_STORE,
          },
          body: LIVE_SCRIPT,
        }),
      },
    ],
    ['/groups/*', { GET: async (req) => groupPage(sources, req) }],
    ['/commits/*', { GET: async (req) => commitPage(sources, req) }],
  ]);
  if (sources.getHistory) routes.set('/api/history', { GET: historyHandler(sources.getHistory) });
  if (sources.getCommits) routes.set('/api/commits', { GET: commitsHandler(sources.getCommits) });
  if (sources.onWebhook) routes.set('/webhook/github', { POST: webhookHandler(sources, sources.onWebhook) });
  return routes;
}

const GROUP_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const COMMIT = /^[0-9a-f]{7,40}$/;

/** `limit` of a query: 1 to 500, `fallback` when absent; undefined when it is not such a number. */
function limitOf(params: URLSearchParams, fallback: number): number | undefined {
  const limit = Number(params.get('limit') ?? fallback);
  return Number.isSafeInteger(limit) && limit >= 1 && limit <= 500 ? limit : undefined;
}

const BAD_LIMIT = { error: 'limit must be a whole number from 1 to 500' };

/** `/api/history?group=NAME&commit=SHA&limit=N`: transitions of a group, a commit, or all, newest first; limit 1 to 500, 20 by default. */
function historyHandler(getHistory: NonNullable<RouteSources['getHistory']>): Handler {
  return async (req) => {
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const group = params.get('group') ?? undefined;
    if (group !== undefined && !GROUP_NAME.test(group))
      return jsonReply(400, { error: `group must be a group name, got "${group}"` });
    const commit = params.get('commit')?.toLowerCase() ?? undefined;
    if (commit !== undefined && !COMMIT.test(commit))
      return jsonReply(400, { error: `commit must be 7 to 40 hex digits, got "${commit}"` });
    const limit = limitOf(params, 20);
    if (limit === undefined) return jsonReply(400, BAD_LIMIT);
    return jsonReply(200, await getHistory({ group, commit }, limit));
  };
}

/** `/api/commits?limit=N`: the commits looked at, newest first; limit 1 to 500, 50 by default. */
function commitsHandler(getCommits: NonNullable<RouteSources['getCommits']>): Handler {
  return async (req) => {
    const limit = limitOf(new URL(req.url ?? '/', 'http://localhost').searchParams, 50);
    if (limit === undefined) return jsonReply(400, BAD_LIMIT);
    return jsonReply(200, await getCommits(limit));
  };
}

/** The last segment of the request's path, decoded; undefined when it cannot be. */
function lastSegment(req: IncomingMessage): string | undefined {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '';
  try {
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    return undefined;
  }
}

function html(status: number, body: string): Reply {
  return { status, headers: HTML_HEADERS, body };
}

async function groupPage(sources: RouteSources, req: IncomingMessage): Promise<Reply> {
  const status = await sources.getStatus();
  if (status === undefined) return html(503, renderMessagePage('Ringmaster', NOT_YET));
  const name = lastSegment(req);
  if (name === undefined || !GROUP_NAME.test(name))
    return html(
      404,
      renderMessagePage('No such group', 'A group name is lowercase letters, digits and dashes.'),
    );
  const [model, transitions] = await Promise.all([
    sources.getGroup?.(name),
    sources.getHistory?.({ group: name }, 50) ?? [],
  ]);
  const view = status.groups.find((g) => g.name === name);
  if (!view && !model?.group && !transitions.length)
    return html(
      404,
      renderMessagePage(
        'No such group',
        `The commit followed has no group ${name}, and the journal no transition of it.`,
      ),
    );
  return html(
    200,
    renderGroupPage({
      constellation: status.constellation,
      name,
      status: view,
      group: model?.group,
      consoles: model?.consoles ?? [],
      transitions,
    }),
  );
}

async function commitPage(sources: RouteSources, req: IncomingMessage): Promise<Reply> {
  const status = await sources.getStatus();
  if (status === undefined) return html(503, renderMessagePage('Ringmaster', NOT_YET));
  const commit = lastSegment(req)?.toLowerCase();
  if (commit === undefined || !COMMIT.test(commit))
    return html(404, renderMessagePage('No such commit', 'A commit is named by 7 to 40 hex digits.'));
  const [commits, transitions] = await Promise.all([
    sources.getCommits?.(500) ?? [],
    sources.getHistory?.({ commit }, 500) ?? [],
  ]);
  const record = commits.find((c) => c.commit.startsWith(commit));
  const full = record?.commit ?? transitions[0]?.commit ?? (commit.length === 40 ? commit : undefined);
  // GitHub out of reach, or notes unreadable: the page says so and shows the rest.
  const statuses =
    full && sources.getCommitStatuses
      ? await sources
          .getCommitStatuses(full)
          .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))
      : undefined;
  return html(
    200,
    renderCommitPage({
      constellation: status.constellation,
      commit,
      record,
      followed: status.commit,
      rings: status.rings,
      transitions,
      statuses,
      ring: pageQuery(req).ring,
    }),
  );
}

/** What a link from a commit status asks the page for: `?commit=SHA&ring=NAME`. */
function pageQuery(req: IncomingMessage): { commit?: string; ring?: string } {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  return { commit: params.get('commit') ?? undefined, ring: params.get('ring') ?? undefined };
}

async function overview(sources: RouteSources, req: IncomingMessage): Promise<Reply> {
  const status = await sources.getStatus();
  if (status === undefined) return html(503, renderMessagePage('Ringmaster', NOT_YET));
  const commits = (await sources.getCommits?.(20)) ?? [];
  return html(200, renderStatusPage(status, { commits, focus: pageQuery(req) }));
}
