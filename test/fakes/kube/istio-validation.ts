/**
 * The semantic checks Istio's validating webhook makes (plus one stricter rule of
 * ours), answered as 422 Invalid like the schema checks. Test code only.
 *
 * VirtualService, for every http, tcp and tls route: each weight a non-negative
 * integer; with more than one destination the weights sum to 100 (the
 * conservative pre-1.15 rule, PROVIDERS.md A4); each destination `subset` is
 * defined by a DestinationRule of the same namespace whose `spec.host` is the
 * destination host (short name or `<host>.<ns>.svc.cluster.local`; Istio itself
 * does not check this). DestinationRule: `spec.host` set, each subset named,
 * names unique.
 */
import type { FieldError } from './status.js';
import { type JsonObject, isObject, objectAt } from './types.js';

/** The errors of an Istio object; `rules` are the DestinationRules of its namespace. */
export function istioErrors(
  object: JsonObject,
  namespace: string,
  rules: readonly JsonObject[],
): FieldError[] {
  if (object.kind === 'DestinationRule') return destinationRuleErrors(objectAt(object, 'spec'));
  if (object.kind !== 'VirtualService') return [];
  const spec = objectAt(object, 'spec');
  const errors: FieldError[] = [];
  for (const protocol of ['http', 'tcp', 'tls'] as const) {
    const routes = Array.isArray(spec[protocol]) ? (spec[protocol] as unknown[]) : [];
    routes.forEach((route, i) => {
      if (!isObject(route)) return;
      const label = `${protocol} route ${typeof route.name === 'string' ? JSON.stringify(route.name) : `#${i}`}`;
      errors.push(...routeErrors(route, `spec.${protocol}[${i}].route`, label, namespace, rules));
    });
  }
  return errors;
}

function routeErrors(
  route: JsonObject,
  field: string,
  label: string,
  namespace: string,
  rules: readonly JsonObject[],
): FieldError[] {
  const destinations = (Array.isArray(route.route) ? route.route : []).filter(isObject);
  const errors: FieldError[] = [];
  destinations.forEach((d, j) => {
    const w = d.weight;
    if (w !== undefined && (typeof w !== 'number' || !Number.isInteger(w) || w < 0)) {
      errors.push({
        type: 'FieldValueInvalid',
        field: `${field}[${j}].weight`,
        value: w,
        detail: `${label}: weight must be a non-negative integer`,
      });
    }
    const destination = objectAt(d, 'destination');
    const subset = destination.subset;
    if (
      typeof subset === 'string' &&
      !subsetDefined(String(destination.host ?? ''), subset, namespace, rules)
    ) {
      errors.push({
        type: 'FieldValueInvalid',
        field: `${field}[${j}].destination.subset`,
        value: subset,
        detail:
          `${label}: subset "${subset}" is not defined by any DestinationRule ` +
          `for host "${String(destination.host ?? '')}" in namespace "${namespace}"`,
      });
    }
  });
  if (destinations.length > 1) {
    const weights = destinations.map((d) => (typeof d.weight === 'number' ? d.weight : 0));
    const total = weights.reduce((a, b) => a + b, 0);
    if (total !== 100) {
      errors.push({
        type: 'FieldValueInvalid',
        field,
        value: weights,
        detail: `${label}: total destination weight ${total} != 100`,
      });
    }
  }
  return errors;
}

function subsetDefined(
  host: string,
  subset: string,
  namespace: string,
  rules: readonly JsonObject[],
): boolean {
  const wanted = fullHost(host, namespace);
  return rules.some((rule) => {
    const spec = objectAt(rule, 'spec');
    if (fullHost(String(spec.host ?? ''), namespace) !== wanted) return false;
    const subsets = Array.isArray(spec.subsets) ? spec.subsets : [];
    return subsets.some((s) => isObject(s) && s.name === subset);
  });
}

/** `app` -> `app.<ns>.svc.cluster.local`; `app.ns` and `app.ns.svc` completed likewise. */
export function fullHost(host: string, namespace: string): string {
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${host}.svc.cluster.local`;
  if (parts.length === 3 && parts[2] === 'svc') return `${host}.cluster.local`;
  return host;
}

function destinationRuleErrors(spec: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof spec.host !== 'string' || !spec.host)
    errors.push({ type: 'FieldValueRequired', field: 'spec.host' });
  const seen = new Set<string>();
  const subsets = Array.isArray(spec.subsets) ? spec.subsets : [];
  subsets.forEach((s, i) => {
    const name = isObject(s) ? s.name : undefined;
    const field = `spec.subsets[${i}].name`;
    if (typeof name !== 'string' || !name) errors.push({ type: 'FieldValueRequired', field });
    else if (seen.has(name)) errors.push({ type: 'FieldValueDuplicate', field, value: name });
    else seen.add(name);
  });
  return errors;
}
