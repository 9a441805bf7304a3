/**
 * A controllable stand-in for Istio's sidecars as a Prometheus scrape target,
 * for tests against a real Prometheus (see `./prometheus.ts`). node:http on
 * 127.0.0.1 serves `/metrics` in the text exposition format 0.0.4 with the
 * request counter Istio's sidecars export:
 *
 *   istio_requests_total{reporter="destination",destination_workload_namespace="acme",
 *                        destination_workload="shop-acme-api-green",response_code="200"} 4900
 *
 * Counters advance per scrape, never by wall-clock time: every GET /metrics first
 * adds `okPerScrape` to the 200 counter and `errorsPerScrape` to the 500 counter of
 * each workload with traffic, then serves the values. Both counters of a workload
 * are therefore sampled with the same timestamp and stay proportional, so a ratio
 * of their `rate()`s is exactly errors / (ok + errors) whatever the scrape timing.
 *
 * Like a sidecar, a series appears only once its counter is above zero: a workload
 * that never served a 500 has no 500 series (so a `sum(...)` over 5xx is an empty
 * vector, not 0). `stopSeries` drops a workload's series, as when its pods go away;
 * traffic set again afterwards starts the counters from zero (a counter reset).
 * Test code only: production code must never import it.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Requests a workload serves between two scrapes. */
export interface Traffic {
  /** Requests answered 200 per scrape; a finite number >= 0. */
  okPerScrape: number;
  /** Requests answered 500 per scrape; a finite number >= 0. */
  errorsPerScrape: number;
}

/** A running exporter; see the module comment. */
export interface IstioExporter {
  /** `127.0.0.1:<port>`, the form a Prometheus static target takes. */
  target: string;
  /** Sets (or replaces) the traffic of one workload from the next scrape on. Throws RangeError on a negative or non-finite count. */
  setTraffic(namespace: string, workload: string, traffic: Traffic): void;
  /** Removes the workload's series from the next scrape on (a gap with no data); no-op if it has none. */
  stopSeries(namespace: string, workload: string): void;
  /** Scrapes of `/metrics` served so far. */
  scrapes(): number;
  /**
   * Resolves once `n` more scrapes have been served (counted from this call).
   * Served is not yet ingested: use the Prometheus handle's `waitFor` to know
   * that a query sees the data. Rejects if the exporter is closed first.
   */
  waitForScrapes(n: number): Promise<void>;
  /** Stops the server; pending `waitForScrapes` reject. */
  close(): Promise<void>;
}

interface Workload {
  namespace: string;
  workload: string;
  traffic: Traffic;
  ok: number;
  errors: number;
}

interface ScrapeWaiter {
  until: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const METRIC = 'istio_requests_total';

/** Starts an exporter with no workloads on 127.0.0.1 and a free port. */
export async function startExporter(): Promise<IstioExporter> {
  const workloads = new Map<string, Workload>();
  let served = 0;
  let waiters: ScrapeWaiter[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    for (const w of workloads.values()) {
      w.ok += w.traffic.okPerScrape;
      w.errors += w.traffic.errorsPerScrape;
    }
    const body = renderMetrics([...workloads.values()]);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body, () => {
      served += 1;
      const due = waiters.filter((w) => w.until <= served);
      waiters = waiters.filter((w) => w.until > served);
      for (const w of due) w.resolve();
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    target: `127.0.0.1:${port}`,
    setTraffic(namespace, workload, traffic) {
      for (const [name, count] of Object.entries(traffic)) {
        if (!Number.isFinite(count) || count < 0) {
          throw new RangeError(
            `setTraffic ${namespace}/${workload}: ${name} must be a finite number >= 0, got ${count}`,
          );
        }
      }
      const key = keyOf(namespace, workload);
      const existing = workloads.get(key);
      if (existing) existing.traffic = { ...traffic };
      else workloads.set(key, { namespace, workload, traffic: { ...traffic }, ok: 0, errors: 0 });
    },
    stopSeries(namespace, workload) {
      workloads.delete(keyOf(namespace, workload));
    },
    scrapes: () => served,
    waitForScrapes(n) {
      return new Promise<void>((resolve, reject) => {
        if (n <= 0) resolve();
        else waiters.push({ until: served + n, resolve, reject });
      });
    },
    async close() {
      for (const w of waiters) w.reject(new Error('exporter closed before the awaited scrapes'));
      waiters = [];
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

function keyOf(namespace: string, workload: string): string {
  return JSON.stringify([namespace, workload]);
}

/** The exposition text: one counter family, a sample per code whose counter is above zero. */
function renderMetrics(workloads: readonly Workload[]): string {
  const lines = [`# HELP ${METRIC} Total number of requests.`, `# TYPE ${METRIC} counter`];
  for (const w of workloads) {
    for (const [code, value] of [
      ['200', w.ok],
      ['500', w.errors],
    ] as const) {
      if (value <= 0) continue;
      const labels = {
        reporter: 'destination',
        destination_workload_namespace: w.namespace,
        destination_workload: w.workload,
        response_code: code,
      };
      const rendered = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      lines.push(`${METRIC}{${rendered}} ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The exposition format escapes backslash, double quote and line feed in label values. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Flagger's success share, as a health analysis writes it: the non-5xx part
 * of the requests to the `workloads` (a regular expression) of `namespace`
 * over the last five seconds.
 */
export function successShare(namespace: string, workloads: string): string {
  const sel = `destination_workload_namespace="${namespace}",destination_workload=~"${workloads}"`;
  return `sum(rate(istio_requests_total{${sel},response_code!~"5.."}[5s])) / sum(rate(istio_requests_total{${sel}}[5s]))`;
}
