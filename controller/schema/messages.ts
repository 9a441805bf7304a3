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

/** Turns an ajv error (created with `verbose: true`) into a located, readable finding. */
export function errorToFinding(e: ErrorObject): SchemaFinding {
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
      const quote =
        expected === 'string' && (found === 'number' || found === 'boolean')
          ? ` (quote it: "${String(e.data)}")`
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
    case 'format':
      return {
        rule: e.keyword === 'format' ? 'schema-format' : 'schema-pattern',
        message: `${where(field)}${JSON.stringify(e.data)} is not a valid ${what}${schema.description ? `: ${schema.description}` : ''}`,
        path,
        on: 'value',
      };
    case 'uniqueItems':
      return {
        rule: 'schema-unique',
        message: `${where(field)}holds the same item twice (items ${params.j} and ${params.i}); remove one`,
        path,
        on: 'value',
      };
    case 'minItems':
    case 'maxItems':
    case 'minLength':
    case 'maxLength':
    case 'minimum':
    case 'maximum':
    case 'minProperties':
      return {
        rule: 'schema-range',
        message: `${where(field)}${e.message ?? 'is out of range'}`,
        path,
        on: 'value',
      };
    default:
      return { rule: 'schema', message: `${where(field)}${e.message ?? 'is not valid'}`, path, on: 'value' };
  }
}

const namingRule = "lower-case letters, digits and '-', starting with a letter";

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

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
