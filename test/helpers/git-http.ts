/**
 * A git server on loopback for tests: git's own smart HTTP server
 * (`git http-backend`, run as a CGI program per request) behind HTTP Basic
 * authentication, serving the bare repositories in one folder. Real git
 * clients fetch from it exactly as from a hosted remote: a request without
 * credentials gets 401 with `WWW-Authenticate`, wrong credentials get 401
 * again (git then fails with "Authentication failed").
 *
 * Test code only.
 */
import { spawn } from 'node:child_process';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running git server. */
export interface GitHttpServer {
  /** `http://127.0.0.1:PORT`: repositories are at `${url}/<name>.git`. */
  readonly url: string;
  /** `http://USER:PASSWORD@127.0.0.1:PORT/<name>`, the address a client with credentials uses. */
  urlWithCredentials(name: string): string;
  /** Requests answered, with their status, in order (paths only, never credentials). */
  readonly log: readonly { readonly path: string; readonly status: number }[];
  close(): Promise<void>;
}

/** Serves the bare repositories under `root` to clients that present `user` and `password`. */
export async function startGitHttpServer(
  root: string,
  user: string,
  password: string,
): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const log: { path: string; status: number }[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.headers.authorization !== expected) {
      log.push({ path, status: 401 });
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('authentication required\n');
      return;
    }
    serveCgi(root, req, res).then(
      (status) => log.push({ path, status }),
      (err: unknown) => {
        log.push({ path, status: 500 });
        res.writeHead(500).end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    urlWithCredentials: (name) =>
      `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${name}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs `git http-backend` for one request; resolves with the HTTP status it answered. */
function serveCgi(root: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const url = new URL(req.url ?? '/', 'http://x');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: 'test',
    REMOTE_ADDR: '127.0.0.1',
    ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
    ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
  };
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  req.pipe(child.stdin);
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let status = 200;
    let started = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (started) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      started = true;
      res.write(head.subarray(end + 4));
    });
    child.on('error', reject);
    child.on('close', () => {
      if (!started) res.writeHead(502);
      res.end();
      resolve(started ? status : 502);
    });
  });
}
