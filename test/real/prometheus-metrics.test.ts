/**
 * The Prometheus metrics adapter against a real Prometheus (Debian's), scraping
 * the Istio exporter stand-in: a value, and every way of having none, as the
 * real server answers them.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { prometheusMetrics } from '../../controller/providers/prometheus/metrics.js';
import type { CallContext, MetricsPort } from '../../controller/providers/ports.js';
import {
  type IstioExporter,
  type PrometheusServer,
  startExporter,
  startPrometheus,
  successShare,
  vectorValues,
} from './prometheus.js';

const CTX: CallContext = {
  constellation: 'shop',
  group: 'acme',
  transition: 't',
  step: 'verify',
  attempt: 1,
};

/** The success share of acme's green workloads, Flagger's way. */
const SUCCESS = successShare('acme', 'shop-acme-.*-green');

describe('the Prometheus metrics adapter on a real Prometheus', () => {
  let exporter: IstioExporter;
  let prom: PrometheusServer;
  let metrics: MetricsPort;

  beforeAll(async () => {
    exporter = await startExporter();
    prom = await startPrometheus({ targets: [exporter.target] });
    metrics = prometheusMetrics({ url: prom.url, timeoutMs: 10_000 });
    exporter.setTraffic('acme', 'shop-acme-api-green', { okPerScrape: 97, errorsPerScrape: 3 });
    exporter.setTraffic('acme', 'shop-acme-web-green', { okPerScrape: 100, errorsPerScrape: 0 });
    await prom.waitFor(SUCCESS, (e) => vectorValues(e).length > 0, { timeoutMs: 60_000 });
  });
  afterAll(async () => {
    await prom?.close();
    await exporter?.close();
  });

  it('reads the one value of a vector', async () => {
    const measured = await metrics.measure(CTX, { name: 'success', query: SUCCESS, min: 0.99 });
    expect('value' in measured && measured.value).toBeCloseTo(197 / 200, 9);
  });

  it('finds no data where no series matches', async () => {
    const query = SUCCESS.replaceAll('green', 'blue');
    expect(await metrics.measure(CTX, { name: 'success', query })).toEqual({ inconclusive: 'no data' });
  });

  it('refuses to pick one of several series', async () => {
    const query =
      'sum by (destination_workload) (istio_requests_total{destination_workload_namespace="acme"})';
    expect(await metrics.measure(CTX, { name: 'x', query })).toEqual({
      inconclusive: '2 series; the query must return one value (aggregate it, e.g. sum(...))',
    });
  });

  it('reads a scalar, and calls NaN inconclusive', async () => {
    expect(await metrics.measure(CTX, { name: 'x', query: 'scalar(vector(0.5))' })).toEqual({ value: 0.5 });
    expect(await metrics.measure(CTX, { name: 'x', query: 'scalar(vector(0)) / 0' })).toEqual({
      inconclusive: 'the value is NaN',
    });
  });

  it("passes on Prometheus's own error for a bad query", async () => {
    const measured = await metrics.measure(CTX, { name: 'x', query: 'sum(rate(x[5s])' });
    expect(measured).toEqual({
      inconclusive: expect.stringMatching(
        /^Prometheus refused the query \(bad_data\): invalid parameter "query"/,
      ),
    });
  });

  it('calls a server that does not answer inconclusive, without throwing', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.close();
    await once(server, 'close');
    const gone = prometheusMetrics({ url, timeoutMs: 5_000 });
    expect(await gone.measure(CTX, { name: 'x', query: 'up' })).toEqual({
      inconclusive: `Prometheus at ${url} did not answer: ECONNREFUSED`,
    });
  });
});
