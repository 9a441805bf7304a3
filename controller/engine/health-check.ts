/**
 * The health checks of a grace or observe period: the new stack's readiness
 * (the health port) and, where the policy asks, its analysis (queries of the
 * metrics port judged against their bounds, see policy/analysis.ts). The
 * period is a sequence of short checks, each journaled as the step's
 * progress; between two the step holds no worker. Every measurement is kept
 * in the progress (and in the step's data when it is done), so the journal
 * shows what was measured, against which bound, and what came of it.
 */
import { PermanentError } from '../errors.js';
import type { StackColor } from '../model/naming.js';
import type { AnalysisQuery } from '../model/types.js';
import { type Judgement, boundText, judge, resolveQuery } from '../policy/analysis.js';
import type { CallContext } from '../providers/ports.js';
import type { StepDeps, StepResult, TransitionTarget } from './steps.js';

/** One measurement, as the journal keeps it. */
export interface AnalysisRecord {
  readonly query: string;
  readonly at: string;
  readonly verdict: Judgement['verdict'] | 'approved';
  readonly value?: number;
  readonly bound: string;
  readonly text: string;
}

/** Where one query of a period stands. */
interface QueryState {
  readonly runs: number;
  readonly failures: number;
  /** When it is measured next (ISO); absent: at the next check. */
  readonly nextAt?: string;
}

/** The progress of a period, as the journal keeps it between two checks. */
interface Progress {
  readonly color?: StackColor;
  readonly passed?: number;
  readonly nextAt?: string;
  readonly queries?: Readonly<Record<string, QueryState>>;
  readonly results?: readonly AnalysisRecord[];
  /** While waiting for a person on an inconclusive measurement: the wait's reason, and whether a retry was spent. */
  readonly awaiting?: { readonly reason: string; readonly retried?: boolean };
}

/**
 * One check of a grace or observe period of `periodMs` on the `color` stack:
 * a check every interval (the health interval, or a query's shorter one), the
 * first at once. `progress` is what earlier checks recorded. Throws
 * PermanentError when the stack is not ready, or when a query fails more
 * often than its failureLimit allows (or is inconclusive with `inconclusive:
 * fail`); waits for a person when a query is inconclusive, until the
 * transition is approved; comes back `again` until the period's checks have
 * all passed.
 */
export async function checkHealth(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
  color: StackColor,
  periodMs: number,
  recorded: Readonly<Record<string, unknown>> | undefined,
  doing: string,
): Promise<StepResult> {
  const progress = (recorded ?? {}) as Progress;
  const analysis = t.analysis.filter((q) => (q.during as readonly string[]).includes(ctx.step));
  const intervalMs = Math.min(deps.healthIntervalMs, ...analysis.map((q) => q.intervalMs ?? Infinity));
  const checks = Math.max(1, Math.ceil(periodMs / intervalMs));
  const passed = progress.passed ?? 0;
  const nextAt = progress.nextAt === undefined ? undefined : new Date(progress.nextAt);
  const now = deps.now();
  // Woken early (a restart, a look): not time for the next check yet.
  if (nextAt && now < nextAt)
    return {
      again: nextAt,
      note: `${doing}: ${passed} of ${checks} checks healthy`,
      progress: { ...progress },
    };
  // Waiting for a person: only an approval, or a retry not yet spent, measures again; any other wake waits on.
  const awaiting = progress.awaiting;
  const retrying = awaiting !== undefined && !awaiting.retried && (await deps.isRetried?.(t.planned.id));
  if (awaiting && !retrying && !(await deps.isApproved(t.planned.id)))
    return { waiting: awaiting.reason, progress: { ...progress } };
  const report = await deps.providers.health.check(ctx, t.cluster, t.namespace, color);
  if (!report.healthy) {
    throw new PermanentError(
      'Unhealthy',
      `${color} stack of group ${t.planned.group} is unhealthy at check ${passed + 1} of ${checks}: ${report.reason ?? 'no reason given'}`,
    );
  }
  const queries: Record<string, QueryState> = { ...progress.queries };
  const results = [...(progress.results ?? [])];
  for (const query of analysis) {
    const state = queries[query.name] ?? { runs: 0, failures: 0 };
    if (state.nextAt !== undefined && now < new Date(state.nextAt)) continue;
    const judged = await measure(t, ctx, deps, color, query);
    const runs = state.runs + 1;
    const failures = state.failures + (judged.verdict === 'fail' ? 1 : 0);
    let verdict: AnalysisRecord['verdict'] = judged.verdict;
    if (judged.verdict === 'inconclusive') {
      if (query.inconclusive === 'fail')
        throw new PermanentError('AnalysisInconclusive', `${judged.text} on ${color}`);
      if (!(await deps.isApproved(t.planned.id))) {
        // The checks so far stay recorded; an approval goes on, a retry measures once more.
        const reason = `${judged.text} on ${color}; a person decides: ringmaster approve ${t.planned.id} to go on, or ringmaster retry ${t.planned.group} to measure again`;
        return {
          waiting: reason,
          progress: {
            ...progress,
            queries,
            results: [...results, record(query, judged, now)],
            awaiting: { reason, ...(retrying || awaiting?.retried ? { retried: true } : {}) },
          },
        };
      }
      verdict = 'approved';
    }
    results.push({ ...record(query, judged, now), verdict });
    if (failures > query.failureLimit) {
      const limit = query.failureLimit
        ? ` (${failures} of ${runs} measurements failed; failureLimit ${query.failureLimit})`
        : '';
      throw new PermanentError('AnalysisFailed', `${judged.text} on ${color}${limit}`);
    }
    const next = new Date(now.getTime() + (query.intervalMs ?? deps.healthIntervalMs)).toISOString();
    queries[query.name] = { runs, failures, nextAt: next };
  }
  const measured = analysis.length ? { queries, results } : {};
  if (passed + 1 >= checks) return { data: { color, checks, ...measured } };
  const again = new Date(now.getTime() + intervalMs);
  const latest = analysis.length ? `; ${results.at(-1)?.text ?? ''}` : '';
  return {
    again,
    note: `${doing}: ${passed + 1} of ${checks} checks healthy${latest}`,
    progress: { color, passed: passed + 1, nextAt: again.toISOString(), ...measured },
  };
}

/**
 * Measures `query` of the policy's analysis for `t` once, on the `color`
 * stack where one is judged (else empty), and judges it against its bound.
 */
export async function measure(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
  color: StackColor | '',
  query: AnalysisQuery,
): Promise<Judgement> {
  const move = t.planned.moveIn;
  const vars = {
    constellation: ctx.constellation,
    group: t.planned.group,
    namespace: t.namespace,
    cluster: t.cluster,
    colour: color,
    release: t.planned.to?.release ?? '',
    replica: move ? t.database.instance : '',
    source: move ? move.source.resources.database.instance : '',
  };
  const measurement = await deps.providers.metrics.measure(ctx, {
    name: query.name,
    query: resolveQuery(query.query, vars),
    ...(query.max === undefined ? {} : { max: query.max }),
    ...(query.min === undefined ? {} : { min: query.min }),
  });
  return judge(query, measurement);
}

/** A measurement as the journal keeps it. */
export function record(query: AnalysisQuery, judged: Judgement, at: Date): AnalysisRecord {
  return {
    query: query.name,
    at: at.toISOString(),
    verdict: judged.verdict,
    ...(judged.value === undefined ? {} : { value: judged.value }),
    bound: boundText(query),
    text: judged.text,
  };
}
