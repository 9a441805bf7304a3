/**
 * The controller's HTTP server on node:http: /healthz, /readyz, /metrics,
 * /api/status, the status page at / and, when a handler is given, the GitHub
 * webhook. It listens on localhost unless told otherwise. A failing handler
 * answers 500 with a generic message and is logged; it never stops the server.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigurationError } from '../errors.js';
import {
  type Reply,
  type RouteMethod,
  type RouteSources,
  type RouteTable,
  buildRoutes,
  internalErrorReply,
  textReply,
} from './routes.js';

export type { WebhookReply } from './routes.js';

/** Where the server listens unless `host` says otherwise: this machine only. */
export const DEFAULT_HOST = '127.0.0.1';

/** The default cap on request bodies: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Options of `startServer`. */
export interface ServerOptions extends Omit<RouteSources, 'maxBodyBytes'> {
  /** Interface to listen on; default `DEFAULT_HOST` (127.0.0.1). */
  readonly host?: string;
  /** Port to listen on; 0 picks any free port (see `RunningServer.port`). */
  readonly port: number;
  /** Every request is logged at debug; handler failures at error. */
  readonly log: Logger;
  /** Largest request body read, in bytes; default `MAX_BODY_BYTES`. Larger bodies get 413. */
  readonly maxBodyBytes?: number;
}

/** A listening server. */
export interface RunningServer {
  readonly host: string;
  /** The bound port (the chosen one when `port` was 0). */
  readonly port: number;
  /** Base URL without a trailing slash, for example `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Stops listening, closes every connection (keep-alive ones too) and resolves once closed. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the server and resolves once it listens. Rejects with a
 * ConfigurationError when it cannot listen (port taken, no permission).
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const routes = buildRoutes({ ...options, maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES });
  const log = options.log;
  const server = createServer((req, res) => {
    handle(routes, log, req, res).catch((err: unknown) => {
      log.error({ err }, 'HTTP request failed');
      res.destroy();
    });
  });
  await listen(server, options.port, host);
  server.on('error', (err) => log.error({ err }, 'HTTP server error'));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'HTTP server listening');
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }));
  return { host, port, url, close };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new ConfigurationError(
          'ListenFailed',
          `HTTP server cannot listen on ${host}:${port}: ${err.message}; choose another host or port`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The path of a request target without its query; never parsed as a URL, so `//x/y` stays `//x/y`. */
function pathOf(target: string | undefined): string {
  const path = (target ?? '/').split('?', 1)[0];
  return path === undefined || path === '' ? '/' : path;
}

function allowedMethods(methods: readonly string[]): string {
  return (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
}

async function route(routes: RouteTable, method: string, path: string, req: IncomingMessage): Promise<Reply> {
  // `/groups/*` answers `/groups/hooli` (one segment, not empty).
  const slash = path.lastIndexOf('/');
  const handlers =
    routes.get(path) ??
    (slash > 0 && slash < path.length - 1 ? routes.get(`${path.slice(0, slash)}/*`) : undefined);
  if (handlers === undefined) return textReply(404, 'not found');
  const key = method === 'HEAD' ? 'GET' : method;
  // hasOwn: a method name must never reach Object.prototype members.
  const handler = Object.hasOwn(handlers, key) ? handlers[key as RouteMethod] : undefined;
  if (handler === undefined)
    return textReply(405, 'method not allowed', { Allow: allowedMethods(Object.keys(handlers)) });
  return handler(req);
}

async function handle(
  routes: RouteTable,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const path = pathOf(req.url);
  let reply: Reply;
  try {
    reply = await route(routes, method, path, req);
  } catch (err) {
    log.error({ err, method, path }, 'HTTP handler failed');
    reply = internalErrorReply(path);
  }
  send(req, res, reply);
  log.debug(
    {
      method,
      path,
      status: reply.status,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    },
    'HTTP request',
  );
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body, 'utf8');
  const headers: Record<string, string> = { ...reply.headers, 'Content-Length': String(body.length) };
  // An unread request body would otherwise be drained to its end, however long.
  if (reply.closeConnection || !req.complete) headers.Connection = 'close';
  res.writeHead(reply.status, headers);
  res.end(body);
}
