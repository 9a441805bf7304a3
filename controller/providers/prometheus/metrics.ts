/**
 * The metrics port on Prometheus's HTTP API: one instant query
 * (`GET /api/v1/query`) per measurement. The answer must be one value, a
 * scalar or a vector of one sample, the way Flagger reads it; anything else
 * (no sample, several series, NaN, an error envelope, no answer in time) is
 * inconclusive with the reason, never a pass and never a thrown error: the
 * engine decides what an inconclusive measurement does.
 */
import type { MetricsPort } from '../ports.js';
import type { Measurement } from '../../policy/analysis.js';

export interface PrometheusOptions {
  /** The server's address, without a trailing slash. */
  readonly url: string;
  /** How long one query may take. */
  readonly timeoutMs: number;
  /** The HTTP client; the global fetch by default. */
  readonly fetch?: typeof fetch;
}

/** Prometheus's answer, as far as we read it. */
interface QueryEnvelope {
  readonly status?: string;
  readonly errorType?: string;
  readonly error?: string;
  readonly data?: { readonly resultType?: string; readonly result?: unknown };
}

export function prometheusMetrics(options: PrometheusOptions): MetricsPort {
  const get = options.fetch ?? fetch;
  return {
    async measure(_ctx, query) {
      const address = `${options.url}/api/v1/query?${new URLSearchParams({ query: query.query })}`;
      let envelope: QueryEnvelope;
      let status: number;
      try {
        const response = await get(address, {
          signal: AbortSignal.timeout(options.timeoutMs),
          headers: { accept: 'application/json' },
        });
        status = response.status;
        envelope = (await response.json()) as QueryEnvelope;
      } catch (err) {
        return { inconclusive: `Prometheus at ${options.url} did not answer: ${reasonOf(err)}` };
      }
      if (envelope.status !== 'success') {
        const type = envelope.errorType ?? `HTTP ${status}`;
        return { inconclusive: `Prometheus refused the query (${type}): ${envelope.error ?? 'no message'}` };
      }
      return valueOf(envelope.data);
    },
  };
}

/** The one value of a query's result, or why there is none. */
export function valueOf(data: QueryEnvelope['data']): Measurement {
  const result = data?.result;
  switch (data?.resultType) {
    case 'scalar':
      return sample(result);
    case 'vector': {
      const series = Array.isArray(result) ? (result as { value?: unknown }[]) : [];
      if (series.length === 0) return { inconclusive: 'no data' };
      if (series.length > 1)
        return {
          inconclusive: `${series.length} series; the query must return one value (aggregate it, e.g. sum(...))`,
        };
      return sample(series[0]!.value);
    }
    default:
      return { inconclusive: `a ${data?.resultType ?? 'missing'} result; the query must return one value` };
  }
}

const INFINITIES: Readonly<Record<string, number>> = { '+Inf': Infinity, Inf: Infinity, '-Inf': -Infinity };

/** A `[time, "value"]` pair: values come as strings, "NaN" and "+Inf" among them. */
function sample(pair: unknown): Measurement {
  const text = Array.isArray(pair) ? pair[1] : undefined;
  const value = typeof text === 'string' ? (INFINITIES[text] ?? Number(text)) : NaN;
  if (Number.isNaN(value))
    return { inconclusive: `the value is ${typeof text === 'string' ? text : 'missing'}` };
  return { value };
}

function reasonOf(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
