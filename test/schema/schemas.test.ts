import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticSink } from '../../controller/model/diagnostics.js';
import { DEFAULT_PARSE_LIMITS, parseYamlFile } from '../../controller/model/parse.js';
import {
  DEPLOYMENT_KIND_SCHEMAS,
  type DeploymentKind,
  KIND_SCHEMAS,
  type Kind,
  createSchemaValidator,
  isIsoDate,
} from '../../controller/schema/validator.js';

type Schema = Record<string, unknown>;

const dir = 'schemas';
const schemas = Object.fromEntries(
  readdirSync(dir).map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Schema]),
);
const defs = (schemas['defs.schema.json']!.$defs ?? {}) as Record<string, Schema>;

/** Every property schema in `schema`, with a readable path. */
function* properties(schema: Schema, path: string): Generator<[string, Schema]> {
  for (const [name, prop] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    yield [`${path}.${name}`, prop];
    yield* properties(prop, `${path}.${name}`);
    if (prop.items) yield* properties(prop.items as Schema, `${path}.${name}[]`);
    if (typeof prop.additionalProperties === 'object')
      yield* properties(prop.additionalProperties as Schema, `${path}.${name}{}`);
  }
}

function described(prop: Schema): boolean {
  if (typeof prop.description === 'string' && prop.description.length > 0) return true;
  const ref = typeof prop.$ref === 'string' ? prop.$ref.split('#/$defs/')[1] : undefined;
  return ref !== undefined && typeof defs[ref]?.description === 'string';
}

function* objects(schema: Schema, path: string): Generator<[string, Schema]> {
  if (schema.type === 'object') yield [path, schema];
  for (const [name, prop] of properties(schema, path)) if (prop.type === 'object') yield [name, prop];
}

describe('the schemas', () => {
  const kinds = Object.keys(schemas).filter((f) => f !== 'defs.schema.json');

  it.each(kinds)('%s says what every property means', (file) => {
    const all = [...properties(schemas[file]!, file)];
    expect(all.length).toBeGreaterThan(4);
    expect(all.filter(([, p]) => !described(p)).map(([path]) => path)).toEqual([]);
  });

  it.each(kinds)('%s refuses unknown properties in every object', (file) => {
    const all = [...objects(schemas[file]!, file)];
    expect(all.length).toBeGreaterThan(0);
    expect(
      all.filter(([, o]) => o.properties && o.additionalProperties !== false).map(([path]) => path),
    ).toEqual([]);
  });

  it.each(kinds)('%s is draft 2020-12', (file) => {
    expect(schemas[file]!.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it.each([...Object.keys(KIND_SCHEMAS), ...Object.keys(DEPLOYMENT_KIND_SCHEMAS)])(
    '%s compiles under strict ajv (at its first file) and refuses an empty mapping',
    (kind) => {
      const validator = createSchemaValidator(dir);
      const sink = new DiagnosticSink();
      const file = parseYamlFile(`${kind}.yaml`, Buffer.from('{}\n'), DEFAULT_PARSE_LIMITS, sink)!;
      expect(validator.validate(kind as Kind | DeploymentKind, file, sink)).toBe(false);
      expect(sink.items.length).toBeGreaterThan(0);
    },
  );

  it.each([
    ['2026-12-20', true],
    ['2028-02-29', true],
    ['2026-02-29', false],
    ['2026-13-01', false],
    ['26-12-20', false],
  ])('reads %s as a real date: %s', (text, ok) => {
    expect(isIsoDate(text)).toBe(ok);
  });
});
