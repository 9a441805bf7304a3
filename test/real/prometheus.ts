/**
 * A real Prometheus server for tests (`npm run test:real`): Debian's
 * `/usr/bin/prometheus` as a child process on 127.0.0.1 and a free port, with a
 * temporary config and TSDB directory, scraping the targets a test names (usually
 * the exporter of `./istio-exporter.ts`, re-exported here) every second.
 *
 * Only the flags below are needed: no console templates (the console pages are
 * not used), no lifecycle API (the config never changes while it runs). Queries go
 * through the documented HTTP API (`GET /api/v1/query`) and come back as its JSON
 * envelope. Prometheus runs in real time, so waiting for data is polling the API
 * until a predicate holds, bounded by a generous timeout.
 *
 * Usage: `const exp = await startExporter(); const prom = await startPrometheus({ targets: [exp.target] });`
 * then `await prom.waitFor(promql, (e) => vectorValues(e).length > 0)`, and close both.
 * Test code only: production code must never import it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { type IstioExporter, type Traffic, startExporter, successShare } from './istio-exporter.js';

/** Options of `startPrometheus`. */
export interface PrometheusOptions {
  /** `host:port` of the exporters to scrape over http at `/metrics`, as one job named `real-test`. */
  targets: readonly string[];
  /** Global scrape and evaluation interval (and scrape timeout); default 1 s. */
  scrapeIntervalSeconds?: number;
  /** How long to wait for `/-/ready`; default 30 000 ms. */
  readyTimeoutMs?: number;
  /** The executable; default `prometheus` looked up on PATH. */
  binary?: string;
}

/** The JSON envelope of the query API, narrowed to the fields tests read. */
export interface QueryEnvelope {
  status: 'success' | 'error';
  /** On success: `resultType` is vector, matrix, scalar or string. */
  data?: { resultType: string; result: unknown };
  /** On error: timeout, canceled, execution, bad_data, internal, unavailable or not_found. */
  errorType?: string;
  error?: string;
  warnings?: string[];
}

/** Parameters of an instant query besides the expression. */
export interface QueryOptions {
  /** Evaluation time in epoch seconds (fractions allowed); default: now. */
  time?: number;
}

/** A query's envelope with the HTTP status it came with. */
export interface QueryReply {
  httpStatus: number;
  envelope: QueryEnvelope;
}

/** A running Prometheus; see the module comment. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /**
   * An instant query, at `time` (epoch seconds, as sample timestamps are given)
   * or else the current time; resolves with the envelope whatever the HTTP status.
   */
  query(promql: string, options?: QueryOptions): Promise<QueryEnvelope>;
  /** As `query`, with the HTTP status (200, or 400/422/503 with an error envelope). */
  queryWithStatus(promql: string, options?: QueryOptions): Promise<QueryReply>;
  /**
   * Repeats `query` every `pollMs` (default 100) until `predicate` holds and
   * resolves with that envelope; throws with the last envelope after `timeoutMs`.
   */
  waitFor(
    promql: string,
    predicate: (envelope: QueryEnvelope) => boolean,
    options: { timeoutMs: number; pollMs?: number },
  ): Promise<QueryEnvelope>;
  /** The last few kilobytes the server wrote to stderr (its log). */
  stderrTail(): string;
  /** Stops the server (SIGTERM, SIGKILL after 10 s) and removes its directory; safe to call twice. */
  close(): Promise<void>;
}

/** The binary is not on this machine; the message says how to install it. */
export class PrometheusNotInstalledError extends Error {
  readonly reason = 'PrometheusNotInstalled';
  constructor(options?: ErrorOptions) {
    super(
      'prometheus is not installed: apt-get install -y prometheus (npm run test:real needs it; see README)',
      options,
    );
    this.name = 'PrometheusNotInstalledError';
  }
}

/** Type guard for `PrometheusNotInstalledError`. */
export function isPrometheusNotInstalled(err: unknown): err is PrometheusNotInstalledError {
  return err instanceof PrometheusNotInstalledError;
}

const STDERR_TAIL_CHARS = 4000;
const BIND_ATTEMPTS = 3;

/**
 * Starts Prometheus scraping `targets` and resolves once `/-/ready` answers 200.
 * Throws `PrometheusNotInstalledError` without the binary, and an Error with the
 * stderr tail if it exits or is not ready in time. A port taken between choosing
 * it and binding it is retried with another port.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const interval = options.scrapeIntervalSeconds ?? 1;
  const dir = await mkdtemp(join(tmpdir(), 'ringmaster-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  // JSON is YAML, so the config needs no YAML writer and no escaping rules of its own.
  const yaml = {
    global: {
      scrape_interval: `${interval}s`,
      evaluation_interval: `${interval}s`,
      scrape_timeout: `${interval}s`,
    },
    scrape_configs: [
      { job_name: 'real-test', scheme: 'http', static_configs: [{ targets: options.targets }] },
    ],
  };
  await writeFile(config, `${JSON.stringify(yaml, null, 2)}\n`);
  try {
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      const run = launch(options.binary ?? 'prometheus', [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ]);
      const url = `http://127.0.0.1:${port}`;
      try {
        await untilReady(run, url, options.readyTimeoutMs ?? 30_000);
        return handle(run, url, dir);
      } catch (err) {
        await stop(run.child);
        const portTaken = /address already in use/.test(run.stderr());
        if (!portTaken || attempt >= BIND_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The values of an instant vector, parsed from their string form ("NaN", "+Inf" included). Throws on anything else. */
export function vectorValues(envelope: QueryEnvelope): number[] {
  if (envelope.status !== 'success' || envelope.data?.resultType !== 'vector') {
    throw new Error(`expected a vector result, got ${JSON.stringify(envelope)}`);
  }
  const result = envelope.data.result as { value: [number, string] }[];
  return result.map((sample) => parseSampleValue(sample.value[1]));
}

/** One sample of a range vector: epoch seconds and value. */
export interface Sample {
  time: number;
  value: number;
}

/** The samples of each series of a range vector (a `matrix`), oldest first. Throws on anything else. */
export function matrixSamples(envelope: QueryEnvelope): Sample[][] {
  if (envelope.status !== 'success' || envelope.data?.resultType !== 'matrix') {
    throw new Error(`expected a matrix result, got ${JSON.stringify(envelope)}`);
  }
  const result = envelope.data.result as { values: [number, string][] }[];
  return result.map((series) =>
    series.values.map(([time, text]) => ({ time, value: parseSampleValue(text) })),
  );
}

function parseSampleValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

interface Run {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with a description of how the child ended. */
  ended: Promise<string>;
}

function launch(binary: string, args: readonly string[]): Run {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    tail = (tail + String(chunk)).slice(-STDERR_TAIL_CHARS);
  });
  const ended = new Promise<string>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT' ? reject(new PrometheusNotInstalledError({ cause: err })) : reject(err),
    );
    child.on('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`));
  });
  // Nobody awaits `ended` once the server is up; keep a later rejection from going unhandled.
  ended.catch(() => undefined);
  return { child, stderr: () => tail, ended };
}

async function untilReady(run: Run, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  const watch = run.ended.then((how) => {
    exited = how;
  });
  while (exited === undefined) {
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) }).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) {
      throw new Error(
        `Prometheus at ${url} was not ready within ${timeoutMs} ms; stderr tail:\n${run.stderr()}`,
      );
    }
    await Promise.race([watch, sleep(100)]);
  }
  throw new Error(
    `Prometheus at ${url} exited (${exited}) before it was ready; stderr tail:\n${run.stderr()}`,
  );
}

function handle(run: Run, url: string, dir: string): PrometheusServer {
  let closing: Promise<void> | undefined;
  // A test run that dies without close() should not leave a server behind.
  const onExit = () => run.child.kill('SIGKILL');
  process.once('exit', onExit);

  const queryWithStatus = async (promql: string, options: QueryOptions = {}): Promise<QueryReply> => {
    const params = new URLSearchParams({ query: promql });
    if (options.time !== undefined) params.set('time', String(options.time));
    const res = await fetch(`${url}/api/v1/query?${params}`);
    const body: unknown = await res.json();
    if (typeof body !== 'object' || body === null || !('status' in body)) {
      throw new Error(`Prometheus query answered ${res.status} without an envelope: ${JSON.stringify(body)}`);
    }
    return { httpStatus: res.status, envelope: body as QueryEnvelope };
  };
  const query = async (promql: string, options?: QueryOptions) =>
    (await queryWithStatus(promql, options)).envelope;

  return {
    url,
    query,
    queryWithStatus,
    async waitFor(promql, predicate, { timeoutMs, pollMs = 100 }) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const envelope = await query(promql);
        if (predicate(envelope)) return envelope;
        if (Date.now() > deadline) {
          throw new Error(
            `waitFor timed out after ${timeoutMs} ms on ${promql}; last: ${JSON.stringify(envelope)}`,
          );
        }
        await sleep(pollMs);
      }
    },
    stderrTail: run.stderr,
    close() {
      closing ??= (async () => {
        process.removeListener('exit', onExit);
        await stop(run.child);
        await rm(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/** SIGTERM, then SIGKILL if it has not exited after 10 s; resolves once it has exited. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

/** A port that was free a moment ago (the caller retries if it is taken by the time it binds). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('could not choose a free port');
  return address.port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
