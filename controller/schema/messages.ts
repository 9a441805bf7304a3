import type { ErrorObject } from 'ajv/dist/2020.js';
import type { NodePath } from '../model/parse.js';

/** What one ajv error becomes: a rule, a message for a person, and where it points. */
export interface SchemaFinding {
  readonly rule: string;
  readonly message: string;
  readonly path: NodePath;
  readonly on: 'key' | 'value';
}

interface SchemaLike {
  title?: string;
  description?: string;
  properties?: Record<string, SchemaLike>;
}

/** Readable names of the string formats we use. */
const FORMATS: Record<string, string> = { date: 'real calendar date (YYYY-MM-DD)' };

/**
 * Turns an ajv error (created with `verbose: true`) into a located, readable
 * finding. `written` returns the text as written in the file at a path, so
 * advice quotes what the person typed rather than what YAML made of it.
 */
export function errorToFinding(
  e: ErrorObject,
  written: (path: NodePath) => string | undefined = () => undefined,
): SchemaFinding {
  const path = pointerToPath(e.instancePath);
  const field = fieldName(path);
  const schema = (e.parentSchema ?? {}) as SchemaLike;
  const what = schema.title ?? (field || 'value');
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const name = String(params.missingProperty);
      const desc = schema.properties?.[name]?.description;
      return {
        rule: 'schema-required',
        message: `${where(field)}missing required property "${name}"${desc ? ` (${desc})` : ''}`,
        path,
        on: 'key',
      };
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys(schema.properties ?? {});
      const guess = closest(name, known);
      const hint = guess ? `did you mean "${guess}"?` : `known properties: ${known.join(', ')}`;
      return {
        rule: 'schema-unknown-property',
        message: `${where(field)}unknown property "${name}"; ${hint}`,
        path: [...path, name],
        on: 'key',
      };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      return {
        rule: 'schema-pattern',
        message: `${where(field)}"${name}" is not a valid name: ${namingRule}`,
        path: [...path, name],
        on: 'key',
      };
    }
    case 'type': {
      const expected = String(params.type);
      const found = typeOf(e.data);
      if (path.length === 0) {
        return {
          rule: 'schema-type',
          message: `the file must be a mapping (key: value lines) describing one ${what}, found ${article(found)}`,
          path,
          on: 'value',
        };
      }
      const quote =
        expected === 'string' && (found === 'number' || found === 'integer' || found === 'boolean')
          ? ` (quote it: "${written(path) ?? String(e.data)}")`
          : '';
      return {
        rule: 'schema-type',
        message: `${where(field)}must be ${article(expected)}, found ${article(found)}${quote}`,
        path,
        on: 'value',
      };
    }
    case 'enum':
      return {
        rule: 'schema-enum',
        message: `${where(field)}${JSON.stringify(e.data)} is not one of: ${(params.allowedValues as unknown[]).join(', ')}`,
        path,
        on: 'value',
      };
    case 'const':
      return {
        rule: 'schema-enum',
        message: `${where(field)}must be ${JSON.stringify(params.allowedValue)}`,
        path,
        on: 'value',
      };
    case 'pattern':
      return {
        rule: 'schema-pattern',
        message: `${where(field)}${JSON.stringify(e.data)} is not a valid ${what}${schema.description ? `: ${schema.description}` : ''}`,
        path,
        on: 'value',
      };
    case 'format':
      return {
        rule: 'schema-format',
        message: `${where(field)}${JSON.stringify(e.data)} is not a ${FORMATS[String(params.format)] ?? `valid ${String(params.format)}`}`,
        path,
        on: 'value',
      };
    case 'uniqueItems': {
      const [earlier, later] = [Number(params.i), Number(params.j)].sort((a, b) => a - b) as [number, number];
      return {
        rule: 'schema-unique',
        message: `${where(field)}lists ${JSON.stringify((e.data as unknown[])[later])} twice (items ${earlier} and ${later}); remove one`,
        path: [...path, later],
        on: 'value',
      };
    }
    case 'minItems':
    case 'maxItems':
    case 'minLength':
    case 'maxLength':
    case 'minimum':
    case 'maximum':
    case 'minProperties':
      return {
        rule: 'schema-range',
        message: `${where(field)}${rangeMessage(e.keyword, Number(params.limit))}`,
        path,
        on: 'value',
      };
    default:
      return { rule: 'schema', message: `${where(field)}${e.message ?? 'is not valid'}`, path, on: 'value' };
  }
}

const namingRule = "lower-case letters, digits and '-', starting with a letter";

function rangeMessage(keyword: string, limit: number): string {
  switch (keyword) {
    case 'minItems':
      return limit === 1 ? 'must list at least one item' : `must list at least ${limit} items`;
    case 'maxItems':
      return `must list at most ${limit} items; split it`;
    case 'minLength':
      return `must be at least ${limit} characters long`;
    case 'maxLength':
      return `must be at most ${limit} characters long; shorten it`;
    case 'minimum':
      return `must be at least ${limit}`;
    case 'maximum':
      return `must be at most ${limit}`;
    default:
      return limit === 1 ? 'must hold at least one entry' : `must hold at least ${limit} entries`;
  }
}

function where(field: string): string {
  return field ? `${field}: ` : '';
}

/** `/tenants/0/host` -> ['tenants', 0, 'host'] */
export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** ['tenants', 0, 'host'] -> `tenants[0].host` */
export function fieldName(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isInteger(v)) return 'integer';
  return typeof v === 'object' ? 'object' : typeof v;
}

function article(type: string): string {
  if (type === 'null') return 'null';
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The known name nearest to `name`, when it is near enough to be a typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
