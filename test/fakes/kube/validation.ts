/**
 * Validation of every write: the `kubernetes-models` JSON schema (ajv) plus the
 * apiserver's own checks (k8s.io/apimachinery validation wording). Test code only.
 *
 * Checked besides the schema: object names (DNS-1123 subdomain; DNS-1035 label
 * for Services), label keys and values (metadata and pod templates); Deployment
 * selector present, non-empty, matching the template labels and immutable,
 * replicas >= 0, container images present; Job restartPolicy Never/OnFailure and
 * an immutable template; ConfigMap keys and 1 MiB of data; Lease durations;
 * Service ports. Istio semantics live in istio-validation.ts.
 */
import { labelSelectorObjectMatches } from './selectors.js';
import type { FieldError } from './status.js';
import type { ResourceDef } from './resources.js';
import { type JsonObject, deepEqual, isObject, objectAt } from './types.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** The most a ConfigMap's values may hold (core.MaxSecretSize). */
export const MAX_CONFIG_MAP_BYTES = 1024 * 1024;

/** The schema errors of `object` per the resource's model class, as field errors. */
export function schemaErrors(def: ResourceDef, object: JsonObject): FieldError[] {
  try {
    new def.model({ ...object, apiVersion: def.modelApiVersion, kind: def.kind } as never).validate();
    return [];
  } catch (err) {
    const list = isObject(err) && Array.isArray(err.errors) ? (err.errors as unknown[]) : [];
    if (!list.length) return [{ type: 'FieldValueInvalid', field: '', value: null, detail: String(err) }];
    return list.filter(isObject).map((e) => ajvToFieldError(e, object));
  }
}

function ajvToFieldError(e: JsonObject, object: JsonObject): FieldError {
  const pointer = String(e.instancePath ?? '');
  const tokens = pointer.split('/').slice(1);
  const field = fieldPath(tokens);
  const params = objectAt(e, 'params');
  if (e.keyword === 'required') {
    const missing = String(params.missingProperty ?? '');
    return { type: 'FieldValueRequired', field: field ? `${field}.${missing}` : missing };
  }
  const value = tokens.reduce<unknown>(
    (node, t) => (isObject(node) || Array.isArray(node) ? (node as never)[t] : undefined),
    object,
  );
  if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    const supported = params.allowedValues.map((v) => JSON.stringify(v)).join(', ');
    return { type: 'FieldValueNotSupported', field, value, detail: `supported values: ${supported}` };
  }
  return { type: 'FieldValueInvalid', field, value, detail: String(e.message ?? 'invalid') };
}

/** `['spec','containers','0','image']` -> `spec.containers[0].image`. */
export function fieldPath(tokens: readonly string[]): string {
  return tokens.reduce((path, t) => (/^\d+$/.test(t) ? `${path}[${t}]` : path ? `${path}.${t}` : t), '');
}

/** Checks of `metadata.name` (present, DNS-1123 subdomain, or DNS-1035 label for Services). */
export function nameErrors(def: ResourceDef, name: unknown): FieldError[] {
  const field = 'metadata.name';
  if (typeof name !== 'string' || !name) {
    return [{ type: 'FieldValueRequired', field, detail: 'name or generateName is required' }];
  }
  const [max, pattern, message] =
    def.kind === 'Service' ? [63, DNS1035_LABEL, DNS1035_MSG] : [253, DNS1123_SUBDOMAIN, SUBDOMAIN_MSG];
  const errors: FieldError[] = [];
  if (name.length > max) {
    errors.push({
      type: 'FieldValueInvalid',
      field,
      value: name,
      detail: `must be no more than ${max} characters`,
    });
  }
  if (!pattern.test(name)) errors.push({ type: 'FieldValueInvalid', field, value: name, detail: message });
  return errors;
}

/** Checks of a label map: keys are qualified names, values valid label values. */
export function labelErrors(labels: unknown, field: string): FieldError[] {
  if (!isObject(labels)) return [];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    errors.push(...qualifiedNameErrors(key, field));
    if (typeof value !== 'string') continue;
    if (value.length > 63) {
      errors.push({ type: 'FieldValueInvalid', field, value, detail: 'must be no more than 63 characters' });
    }
    if (!LABEL_VALUE.test(value))
      errors.push({ type: 'FieldValueInvalid', field, value, detail: LABEL_VALUE_MSG });
  }
  return errors;
}

function qualifiedNameErrors(key: string, field: string): FieldError[] {
  const slash = key.indexOf('/');
  const [prefix, name] = slash < 0 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
  const invalid = (detail: string): FieldError => ({ type: 'FieldValueInvalid', field, value: key, detail });
  const errors: FieldError[] = [];
  if (slash >= 0 && (!prefix || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    errors.push(invalid(`prefix part ${SUBDOMAIN_MSG}`));
  }
  if (!name) errors.push(invalid('name part must be non-empty'));
  else if (name.length > 63) errors.push(invalid('name part must be no more than 63 characters'));
  else if (!QUALIFIED_NAME.test(name)) errors.push(invalid(NAME_PART_MSG));
  return errors;
}

/** The apiserver's checks of one kind, with `old` the stored object on updates. */
export function kindErrors(def: ResourceDef, object: JsonObject, old: JsonObject | undefined): FieldError[] {
  switch (def.kind) {
    case 'Deployment':
      return deploymentErrors(objectAt(object, 'spec'), old && objectAt(old, 'spec'));
    case 'Job':
      return jobErrors(objectAt(object, 'spec'), old && objectAt(old, 'spec'));
    case 'ConfigMap':
      return configMapErrors(object);
    case 'Lease':
      return leaseErrors(objectAt(object, 'spec'));
    case 'Service':
      return serviceErrors(objectAt(object, 'spec'));
    default:
      return [];
  }
}

function deploymentErrors(spec: JsonObject, old: JsonObject | undefined): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    errors.push(nonNegative('spec.replicas', spec.replicas));
  }
  const template = objectAt(spec, 'template');
  const labels = objectAt(template, 'metadata').labels;
  errors.push(...labelErrors(labels, 'spec.template.metadata.labels'));
  const selector = spec.selector;
  if (!isObject(selector)) errors.push({ type: 'FieldValueRequired', field: 'spec.selector' });
  else if (!Object.keys(objectAt(spec, 'selector').matchLabels ?? {}).length && !selector.matchExpressions) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.selector',
      value: selector,
      detail: 'empty selector is invalid for deployment',
    });
  } else if (
    !labelSelectorObjectMatches(selector, (isObject(labels) ? labels : {}) as Record<string, string>)
  ) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.template.metadata.labels',
      value: labels ?? {},
      detail: '`selector` does not match template `labels`',
    });
  }
  if (old && isObject(old.selector) && !deepEqual(old.selector, selector)) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.selector',
      value: selector,
      detail: 'field is immutable',
    });
  }
  return [...errors, ...containerErrors(template)];
}

function jobErrors(spec: JsonObject, old: JsonObject | undefined): FieldError[] {
  const template = objectAt(spec, 'template');
  const restart = objectAt(template, 'spec').restartPolicy;
  const field = 'spec.template.spec.restartPolicy';
  const errors: FieldError[] = [];
  if (restart === undefined) {
    errors.push({ type: 'FieldValueRequired', field, detail: 'valid values: "OnFailure", "Never"' });
  } else if (restart !== 'OnFailure' && restart !== 'Never') {
    errors.push({
      type: 'FieldValueNotSupported',
      field,
      value: restart,
      detail: 'supported values: "OnFailure", "Never"',
    });
  }
  if (typeof spec.backoffLimit === 'number' && spec.backoffLimit < 0) {
    errors.push(nonNegative('spec.backoffLimit', spec.backoffLimit));
  }
  if (old && !deepEqual(old.template, spec.template)) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.template',
      value: spec.template,
      detail: 'field is immutable',
    });
  }
  return [
    ...errors,
    ...labelErrors(objectAt(template, 'metadata').labels, 'spec.template.metadata.labels'),
    ...containerErrors(template),
  ];
}

function containerErrors(template: JsonObject): FieldError[] {
  const containers = objectAt(template, 'spec').containers;
  if (!Array.isArray(containers)) return [];
  return containers.flatMap((c, i) =>
    isObject(c) && (typeof c.image !== 'string' || !c.image)
      ? [{ type: 'FieldValueRequired' as const, field: `spec.template.spec.containers[${i}].image` }]
      : [],
  );
}

function configMapErrors(object: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  let total = 0;
  for (const bag of ['data', 'binaryData'] as const) {
    for (const [key, value] of Object.entries(objectAt(object, bag))) {
      if (!CONFIG_KEY.test(key))
        errors.push({ type: 'FieldValueInvalid', field: bag, value: key, detail: CONFIG_KEY_MSG });
      if (typeof value === 'string')
        total += bag === 'data' ? Buffer.byteLength(value) : Buffer.from(value, 'base64').length;
    }
  }
  if (total > MAX_CONFIG_MAP_BYTES) {
    errors.push({
      type: 'FieldValueTooLong',
      field: '[]',
      detail: `must have at most ${MAX_CONFIG_MAP_BYTES} bytes`,
    });
  }
  return errors;
}

function leaseErrors(spec: JsonObject): FieldError[] {
  const d = spec.leaseDurationSeconds;
  if (typeof d === 'number' && d <= 0) {
    return [
      {
        type: 'FieldValueInvalid',
        field: 'spec.leaseDurationSeconds',
        value: d,
        detail: 'must be greater than 0',
      },
    ];
  }
  const t = spec.leaseTransitions;
  return typeof t === 'number' && t < 0 ? [nonNegative('spec.leaseTransitions', t)] : [];
}

function serviceErrors(spec: JsonObject): FieldError[] {
  const headless = spec.clusterIP === 'None' || spec.type === 'ExternalName';
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (!ports.length && !headless) return [{ type: 'FieldValueRequired', field: 'spec.ports' }];
  return ports.length > 1
    ? ports.flatMap((p, i) =>
        isObject(p) && !p.name
          ? [{ type: 'FieldValueRequired' as const, field: `spec.ports[${i}].name` }]
          : [],
      )
    : [];
}

function nonNegative(field: string, value: number): FieldError {
  return { type: 'FieldValueInvalid', field, value, detail: 'must be greater than or equal to 0' };
}

/**
 * The decode failure of a Lease whose MicroTime fields lack 6 fractional digits
 * (400 BadRequest; apiserver wording), or undefined.
 */
export function leaseTimeError(def: ResourceDef, object: JsonObject, version: string): string | undefined {
  if (def.kind !== 'Lease') return undefined;
  for (const field of ['acquireTime', 'renewTime']) {
    const value = objectAt(object, 'spec')[field];
    if (typeof value !== 'string' || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(value)) continue;
    const rest = value.slice(19);
    return (
      `Lease in version "${version}" cannot be handled as a Lease: parsing time "${value}" as ` +
      `"2006-01-02T15:04:05.000000Z07:00": cannot parse "${rest}" as ".000000"`
    );
  }
  return undefined;
}
