/**
 * The real-Prometheus harness against itself: Debian's prometheus scrapes the
 * Istio exporter stand-in, and the queries a canary check runs give the numbers
 * the exporter was told to produce.
 *
 * Why the ratio is exact although `rate()` extrapolates: `rate(v[5s])` takes the
 * increase between the first and last sample inside the window and stretches it
 * towards the window's edges (all the way if the gap to an edge is under 1.1
 * average scrape intervals, else by half an interval; for a counter, the gap to
 * the start counts as no longer than the way back to where the counter would be
 * zero), then divides by 5 s. So the rates themselves are not 98/s and 2/s while
 * the window is partly filled: measured at the second sample 39.2/s and 0.8/s
 * (the increase 98 between the two samples, stretched back to zero one interval
 * before the first: 196 over 5 s), 58.8/s and 1.2/s at the third, exact from
 * the fifth on. But every series of a workload is sampled in the same scrape,
 * so they share timestamps, and the exporter's counters are proportional (each
 * scrape adds 98 and 2), so their zero points coincide too: every series gets
 * the same stretch factor, and it cancels between numerator and denominator.
 * Checked below at a partly filled and at a full window. The quotient is 0.02 up
 * to floating-point rounding (one evaluation in a dozen gave
 * 0.019999999999999997), hence the tolerance. It would not cancel for series
 * scraped at different times, or for a workload whose error share changed
 * within the window.
 */
import {
  type IstioExporter,
  type PrometheusServer,
  type QueryEnvelope,
  isPrometheusNotInstalled,
  matrixSamples,
  startExporter,
  startPrometheus,
  vectorValues,
} from './prometheus.js';

const WINDOW = '5s';
/** Generous: the first scrape comes about 6 s after start; a busy machine may take much longer. */
const WAIT = { timeoutMs: 60_000 };

/** Flagger's error-ratio query shape for the workloads matching `workloads` in `namespace`. */
function errorRatio(namespace: string, workloads: string): string {
  const sel = `destination_workload_namespace="${namespace}",destination_workload=~"${workloads}"`;
  return (
    `sum(rate(istio_requests_total{${sel},response_code=~"5.."}[${WINDOW}])) / ` +
    `sum(rate(istio_requests_total{${sel}}[${WINDOW}]))`
  );
}

const hasValue = (e: QueryEnvelope) => e.status === 'success' && vectorValues(e).length > 0;
const isEmpty = (e: QueryEnvelope) => e.status === 'success' && vectorValues(e).length === 0;

describe('a real Prometheus scraping the Istio exporter', () => {
  let exporter: IstioExporter;
  let prom: PrometheusServer;

  beforeAll(async () => {
    exporter = await startExporter();
    prom = await startPrometheus({ targets: [exporter.target] });
  });

  afterAll(async () => {
    await prom?.close();
    await exporter?.close();
  });

  it('gives the exact error ratio of the traffic although the rates themselves are extrapolated', async () => {
    exporter.setTraffic('acme', 'shop-acme-api-green', { okPerScrape: 98, errorsPerScrape: 2 });
    const ratio = errorRatio('acme', 'shop-acme-.*-green');
    const total = `sum(rate(istio_requests_total{destination_workload_namespace="acme"}[${WINDOW}]))`;

    const first = await prom.waitFor(ratio, hasValue, WAIT);
    expect(vectorValues(first)).toEqual([expect.closeTo(0.02, 9)]);

    // Evaluate at the scrapes' own timestamps, so what the window holds does not depend on timing.
    const raw = 'istio_requests_total{destination_workload="shop-acme-api-green",response_code="500"}[10m]';
    const history = await prom.waitFor(raw, (e) => (matrixSamples(e)[0]?.length ?? 0) >= 7, WAIT);
    const times = matrixSamples(history)[0]!.map((s) => s.time);
    const second = times[1]!;
    const seventh = times[6]!;

    // Two samples in the window: the rates are stretched (40/s in all), and the ratio is still exact.
    expect(vectorValues(await prom.query(total, { time: second }))[0]).toBeLessThan(90);
    expect(vectorValues(await prom.query(ratio, { time: second }))).toEqual([expect.closeTo(0.02, 9)]);
    // A full window.
    expect(vectorValues(await prom.query(ratio, { time: seventh }))).toEqual([expect.closeTo(0.02, 9)]);
  });

  it('gives an empty vector for a workload whose series stopped', async () => {
    exporter.setTraffic('globex', 'shop-globex-api-green', { okPerScrape: 50, errorsPerScrape: 1 });
    const ratio = errorRatio('globex', 'shop-globex-.*-green');
    expect(vectorValues(await prom.waitFor(ratio, hasValue, WAIT))).toEqual([expect.closeTo(1 / 51, 9)]);

    exporter.stopSeries('globex', 'shop-globex-api-green');

    // The next scrape marks the series stale: an instant selector sees nothing from then on...
    await prom.waitFor('istio_requests_total{destination_workload_namespace="globex"}', isEmpty, WAIT);
    // ...while rate() uses the samples left in its window until fewer than two remain (about 3 s later).
    const after = await prom.waitFor(ratio, isEmpty, WAIT);
    expect(after).toEqual({ status: 'success', data: { resultType: 'vector', result: [] } });
  });

  it('answers a query it cannot parse with the documented error envelope and HTTP 400', async () => {
    const reply = await prom.queryWithStatus('sum(rate(istio_requests_total[5s])');

    expect(reply.httpStatus).toBe(400);
    expect(reply.envelope).toMatchObject({ status: 'error', errorType: 'bad_data' });
    expect(reply.envelope.error).toMatch(/^invalid parameter "query": /);
  });
});

describe('startPrometheus when the server cannot run', () => {
  it('says how to install prometheus when the binary is missing', async () => {
    const err: unknown = await startPrometheus({ targets: [], binary: '/nonexistent/prometheus' }).catch(
      (e) => e,
    );

    expect(isPrometheusNotInstalled(err)).toBe(true);
    expect((err as Error).message).toBe(
      'prometheus is not installed: apt-get install -y prometheus (npm run test:real needs it; see README)',
    );
  });

  it('reports an exit before ready with the tail of what the process wrote to stderr', async () => {
    // Node rejects Prometheus's flags and exits at once, which is what a Prometheus with a bad config does.
    const err: unknown = await startPrometheus({ targets: [], binary: process.execPath }).catch((e) => e);

    expect(isPrometheusNotInstalled(err)).toBe(false);
    expect((err as Error).message).toMatch(
      /exited \(code 9\) before it was ready; stderr tail:\n.*bad option: --config\.file=/,
    );
  });
});
