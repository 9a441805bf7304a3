/**
 * The routes of the controller's HTTP server as a table of path → method →
 * handler. Handlers return a `Reply` instead of writing the response, so the
 * server writes, logs and handles errors in one place.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Registry } from 'prom-client';
import type { HistoryItem } from '../state/history-view.js';
import type { ControllerStatus } from '../state/status-view.js';
import { renderMessagePage, renderStatusPage } from './status-page.js';

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
  /** The transitions of `group` (all when absent), newest first, at most `limit`; without it /api/history answers 404. */
  getHistory?(group: string | undefined, limit: number): Promise<readonly HistoryItem[]>;
  /** Receives `POST /webhook/github` with the raw body; without it the route answers 404. */
  onWebhook?(body: Buffer, headers: IncomingHttpHeaders): Promise<WebhookReply>;
  /** Largest request body read, in bytes; larger bodies get 413. */
  readonly maxBodyBytes: number;
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
// The page has no scripts, so forbid them outright: defence in depth behind escaping.
const HTML_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
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

/** Builds the route table: /healthz, /readyz, /metrics, /api/status, /, and with their sources /api/history and the webhook. */
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
    ['/', { GET: async (req) => statusPage(await sources.getStatus(), pageQuery(req)) }],
  ]);
  if (sources.getHistory) routes.set('/api/history', { GET: historyHandler(sources.getHistory) });
  if (sources.onWebhook) routes.set('/webhook/github', { POST: webhookHandler(sources, sources.onWebhook) });
  return routes;
}

const GROUP_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** `/api/history?group=NAME&limit=N`: a group's transitions (or every group's), newest first; limit 1 to 500, 20 by default. */
function historyHandler(getHistory: NonNullable<RouteSources['getHistory']>): Handler {
  return async (req) => {
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const group = params.get('group') ?? undefined;
    if (group !== undefined && !GROUP_NAME.test(group))
      return jsonReply(400, { error: `group must be a group name, got "${group}"` });
    const limit = Number(params.get('limit') ?? '20');
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 500)
      return jsonReply(400, { error: 'limit must be a whole number from 1 to 500' });
    return jsonReply(200, await getHistory(group, limit));
  };
}

/** What a link from a commit status asks the page for: `?commit=SHA&ring=NAME`. */
function pageQuery(req: IncomingMessage): { commit?: string; ring?: string } {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  return { commit: params.get('commit') ?? undefined, ring: params.get('ring') ?? undefined };
}

function statusPage(status: ControllerStatus | undefined, query: { commit?: string; ring?: string }): Reply {
  if (status === undefined)
    return { status: 503, headers: HTML_HEADERS, body: renderMessagePage('Ringmaster', NOT_YET) };
  return { status: 200, headers: HTML_HEADERS, body: renderStatusPage(status, query) };
}
