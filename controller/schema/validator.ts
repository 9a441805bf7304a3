import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { DiagnosticSink } from '../model/diagnostics.js';
import { type ParsedFile, locate, sourceText } from '../model/parse.js';
import { errorToFinding } from './messages.js';

/** The kinds of file Ringmaster reads, with the schema file of each. */
export const KIND_SCHEMAS = {
  RingSet: 'ring-set.schema.json',
  Release: 'release.schema.json',
  Group: 'group.schema.json',
  PromotionPolicy: 'promotion-policy.schema.json',
  Approval: 'approval.schema.json',
  Retry: 'retry.schema.json',
} as const;

export type Kind = keyof typeof KIND_SCHEMAS;

export const KINDS = Object.keys(KIND_SCHEMAS) as Kind[];

/**
 * Kinds of file that live with the controller's deployment, never in the
 * repository's groups/ or policies/ (the providers file of `--providers`).
 */
export const DEPLOYMENT_KIND_SCHEMAS = {
  Providers: 'providers.schema.json',
} as const;

export type DeploymentKind = keyof typeof DEPLOYMENT_KIND_SCHEMAS;

/** Validates parsed files against the schema of their kind. */
export interface SchemaValidator {
  /** Reports every schema violation of `file` to `sink`; true when there is none. */
  validate(kind: Kind | DeploymentKind, file: ParsedFile, sink: DiagnosticSink): boolean;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().startsWith(s);
}

/**
 * Returns a validator of the schemas in `schemaDir` (strict ajv, all errors).
 * Each kind's schema is compiled once, when a file of that kind is first
 * validated: a command compiles only what it reads (`validate` never needs the
 * providers file's schema, nor a repository without approvals theirs; a
 * schema costs 2 to 30 ms to compile). Throws when a schema itself is broken:
 * that is a bug of ours, and the tests validate every kind.
 */
export function createSchemaValidator(schemaDir: string): SchemaValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
  ajv.addFormat('date', isIsoDate);
  ajv.addSchema(JSON.parse(readFileSync(join(schemaDir, 'defs.schema.json'), 'utf8')));
  const schemas: Record<Kind | DeploymentKind, string> = { ...KIND_SCHEMAS, ...DEPLOYMENT_KIND_SCHEMAS };
  const compiled = new Map<Kind | DeploymentKind, ValidateFunction>();
  const compile = (kind: Kind | DeploymentKind) => {
    let fn = compiled.get(kind);
    if (!fn) {
      fn = ajv.compile(JSON.parse(readFileSync(join(schemaDir, schemas[kind]), 'utf8')));
      compiled.set(kind, fn);
    }
    return fn;
  };
  return {
    validate(kind, file, sink) {
      const fn = compile(kind);
      if (fn(file.data)) return true;
      for (const err of relevant(fn.errors ?? [])) {
        const finding = errorToFinding(err, (path) => sourceText(file, path));
        sink.error(locate(file, finding.path, finding.on), finding.rule, finding.message);
      }
      return false;
    },
  };
}

/** Drops the inner errors ajv repeats for a failed `propertyNames`. */
function relevant(errors: ErrorObject[]): ErrorObject[] {
  return errors.filter((e) => e.propertyName === undefined || e.keyword === 'propertyNames');
}
