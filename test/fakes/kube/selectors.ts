/**
 * Label and field selectors of list and watch requests (api-concepts "Labels and
 * Selectors", "Field Selectors"). Test code only.
 *
 * Label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`;
 * a comma ANDs requirements. Field selectors: `metadata.name` and
 * `metadata.namespace` with `=`, `==` or `!=`.
 */
import { type JsonObject, isObject, objectAt } from './types.js';

/** A parsed selector: whether an object matches. */
export type Matcher = (object: JsonObject) => boolean;

/** A selector that cannot be parsed; the message is what the apiserver answers in a 400. */
export class SelectorError extends Error {}

type Op = '=' | '!=' | 'in' | 'notin' | 'exists' | '!';
interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

/** Parses a label selector; an empty or absent one matches everything. Throws `SelectorError`. */
export function labelSelector(text: string | null | undefined): Matcher {
  const requirements = splitTopLevel(text ?? '').map(parseRequirement);
  return (object) => {
    const labels = objectAt(object, 'metadata').labels;
    const map = (labels && typeof labels === 'object' ? labels : {}) as Record<string, string>;
    return requirements.every((r) => matches(r, map));
  };
}

/** Whether `labels` satisfy a `matchLabels` / `matchExpressions` LabelSelector object. */
export function labelSelectorObjectMatches(selector: JsonObject, labels: Record<string, string>): boolean {
  const matchLabels = isObject(selector.matchLabels) ? selector.matchLabels : {};
  const equal = Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
  const expressions = Array.isArray(selector.matchExpressions)
    ? (selector.matchExpressions as JsonObject[])
    : [];
  return (
    equal &&
    expressions.every((e) => {
      const op = String(e.operator);
      const mapped: Op = op === 'In' ? 'in' : op === 'NotIn' ? 'notin' : op === 'Exists' ? 'exists' : '!';
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      return matches({ key: String(e.key), op: mapped, values }, labels);
    })
  );
}

/** Parses a field selector on `metadata.name` / `metadata.namespace`. Throws `SelectorError`. */
export function fieldSelector(text: string | null | undefined): Matcher {
  const terms = splitTopLevel(text ?? '').map((term) => {
    const m = /^([^!=\s]+)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    const [, field = '', op = '=', value = ''] = m;
    if (field !== 'metadata.name' && field !== 'metadata.namespace') {
      throw new SelectorError(
        `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    return { key: field.slice('metadata.'.length), negate: op === '!=', value };
  });
  return (object) => {
    const meta = objectAt(object, 'metadata');
    return terms.every((t) => (String(meta[t.key] ?? '') === t.value) !== t.negate);
  };
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case '=':
      return has && value === r.values[0];
    case '!=':
      return !has || value !== r.values[0];
    case 'in':
      return has && r.values.includes(value ?? '');
    case 'notin':
      return !has || !r.values.includes(value ?? '');
    case 'exists':
      return has;
    default:
      return !has;
  }
}

const KEY = '[A-Za-z0-9][-A-Za-z0-9_./]*';

function parseRequirement(text: string): Requirement {
  let m = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`).exec(text);
  if (m) {
    const values = (m[3] ?? '').split(',').map((v) => v.trim());
    return { key: m[1] ?? '', op: m[2] === 'in' ? 'in' : 'notin', values };
  }
  m = new RegExp(`^(${KEY})\\s*(!=|==|=)\\s*([-A-Za-z0-9_.]*)$`).exec(text);
  if (m) return { key: m[1] ?? '', op: m[2] === '!=' ? '!=' : '=', values: [m[3] ?? ''] };
  m = new RegExp(`^(!?)\\s*(${KEY})$`).exec(text);
  if (m) return { key: m[2] ?? '', op: m[1] ? '!' : 'exists', values: [] };
  throw new SelectorError(`unable to parse requirement: found '${text}', expected: in, notin, =, ==, !=`);
}

/** Splits at commas outside parentheses, dropping empty parts. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}
