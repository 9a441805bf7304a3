/**
 * Health analysis, the pure part: a query's placeholders filled in for one
 * stack, and a measurement judged against the query's bound. A value inside
 * the bound passes, outside fails; a measurement without a value (no data,
 * NaN, an error of the metrics provider) is inconclusive, never a pass.
 */
import type { AnalysisQuery } from '../model/types.js';

/**
 * The placeholders a query may use, filled in for the stack it judges; the
 * last two, the database instances of a tenant move's replica and of its
 * source, only in queries judged during `replicate` alone.
 */
export const PLACEHOLDERS = [
  'constellation',
  'group',
  'namespace',
  'cluster',
  'colour',
  'release',
  'replica',
  'source',
] as const;

/** The placeholders that name a move's databases (see PLACEHOLDERS). */
export const MOVE_PLACEHOLDERS: readonly Placeholder[] = ['replica', 'source'];

export type Placeholder = (typeof PLACEHOLDERS)[number];

/** What the placeholders stand for, for one stack. */
export type AnalysisVars = Readonly<Record<Placeholder, string>>;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders of `query` that name a move's databases (each once, in order). */
export function movePlaceholders(query: string): Placeholder[] {
  const names = [...query.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  return [
    ...new Set(names.filter((n) => (MOVE_PLACEHOLDERS as readonly string[]).includes(n))),
  ] as Placeholder[];
}

/** The placeholders of `query` that are not ours (each once, in order). */
export function unknownPlaceholders(query: string): string[] {
  const names = [...query.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  return [...new Set(names.filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n)))];
}

/** `query` with its placeholders filled in from `vars`. */
export function resolveQuery(query: string, vars: AnalysisVars): string {
  return query.replace(PLACEHOLDER, (whole, name: string) =>
    (PLACEHOLDERS as readonly string[]).includes(name) ? vars[name as Placeholder] : whole,
  );
}

/** What the metrics provider answered: one value, or why there is none. */
export type Measurement = { readonly value: number } | { readonly inconclusive: string };

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** A measurement judged, with a line for people: `error-rate 0.023 > max 0.01`. */
export interface Judgement {
  readonly verdict: Verdict;
  readonly value?: number;
  readonly text: string;
}

/** The bound of `query` for people: `max 0.01`, `min 0.99`, `between 0.5 and 2`. */
export function boundText(query: Pick<AnalysisQuery, 'max' | 'min'>): string {
  if (query.max !== undefined && query.min !== undefined) return `between ${query.min} and ${query.max}`;
  return query.max !== undefined ? `max ${query.max}` : `min ${query.min}`;
}

/** Judges `m` against the bound of `query`. */
export function judge(query: Pick<AnalysisQuery, 'name' | 'max' | 'min'>, m: Measurement): Judgement {
  if ('inconclusive' in m)
    return { verdict: 'inconclusive', text: `${query.name} inconclusive: ${m.inconclusive}` };
  const { value } = m;
  if (Number.isNaN(value))
    return { verdict: 'inconclusive', text: `${query.name} inconclusive: the value is NaN` };
  const shown = formatValue(value);
  if (query.max !== undefined && value > query.max)
    return { verdict: 'fail', value, text: `${query.name} ${shown} > max ${query.max}` };
  if (query.min !== undefined && value < query.min)
    return { verdict: 'fail', value, text: `${query.name} ${shown} < min ${query.min}` };
  const inside =
    query.max !== undefined && query.min !== undefined
      ? `between ${query.min} and ${query.max}`
      : query.max !== undefined
        ? `≤ max ${query.max}`
        : `≥ min ${query.min}`;
  return { verdict: 'pass', value, text: `${query.name} ${shown} ${inside}` };
}

/** A value short enough for a status line: four significant digits. */
export function formatValue(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);
}
