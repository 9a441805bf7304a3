/**
 * The resources the Kubernetes stand-in serves: their group, versions, names,
 * subresources and the `kubernetes-models` class that validates them. Test code only.
 */
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';

/** A model class: `new Model(data).validate()` throws an ajv `ValidationError`. */
type ModelClass = new (data: never) => { validate(): void };

/** One served resource. */
export interface ResourceDef {
  /** API group, '' for core. */
  group: string;
  /** Served versions; the first is the preferred one. */
  versions: readonly string[];
  plural: string;
  singular: string;
  kind: string;
  shortNames: readonly string[];
  /** Serves `/status` (GET, PUT, PATCH); writes to the main resource then keep the stored status. */
  statusSubresource: boolean;
  /** A built-in type: strategic merge patch allowed, known list keys used. */
  builtIn: boolean;
  /** The model class that validates it, and the apiVersion that class expects. */
  model: ModelClass;
  modelApiVersion: string;
}

const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;

/** Every served resource (all namespaced). */
export const RESOURCES: readonly ResourceDef[] = [
  core('services', 'service', 'Service', ['svc'], true, Service),
  core('configmaps', 'configmap', 'ConfigMap', ['cm'], false, ConfigMap),
  {
    ...core('deployments', 'deployment', 'Deployment', ['deploy'], true, Deployment),
    group: 'apps',
    modelApiVersion: 'apps/v1',
  },
  { ...core('jobs', 'job', 'Job', [], true, Job), group: 'batch', modelApiVersion: 'batch/v1' },
  {
    ...core('leases', 'lease', 'Lease', [], false, Lease),
    group: 'coordination.k8s.io',
    modelApiVersion: 'coordination.k8s.io/v1',
  },
  istio('virtualservices', 'virtualservice', 'VirtualService', ['vs'], VirtualService),
  istio('destinationrules', 'destinationrule', 'DestinationRule', ['dr'], DestinationRule),
];

function core(
  plural: string,
  singular: string,
  kind: string,
  shortNames: string[],
  statusSubresource: boolean,
  model: unknown,
): ResourceDef {
  return {
    group: '',
    versions: ['v1'],
    plural,
    singular,
    kind,
    shortNames,
    statusSubresource,
    builtIn: true,
    model: model as ModelClass,
    modelApiVersion: 'v1',
  };
}

function istio(plural: string, singular: string, kind: string, shortNames: string[], model: unknown) {
  return {
    ...core(plural, singular, kind, shortNames, true, model),
    group: 'networking.istio.io',
    versions: ISTIO_VERSIONS,
    builtIn: false,
    modelApiVersion: 'networking.istio.io/v1beta1',
  };
}

/** The resource served at `group`/`version` under `plural`, if any. */
export function resourceAt(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.plural === plural && r.versions.includes(version));
}

/** The resource of `apiVersion` (e.g. `apps/v1`) and `kind`, if served. */
export function resourceOf(apiVersion: string, kind: string): ResourceDef | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  return RESOURCES.find((r) => r.group === group && r.kind === kind && r.versions.includes(version));
}

/** `apps/v1` -> {group: 'apps', version: 'v1'}; `v1` -> {group: '', version: 'v1'}. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The apiVersion string of `version` of the resource's group. */
export function apiVersionOf(def: ResourceDef, version: string): string {
  return def.group ? `${def.group}/${version}` : version;
}

/** `deployments.apps`, or `configmaps` for core: how apiserver messages name a resource. */
export function qualifiedResource(def: ResourceDef): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

/** `Deployment.apps`, or `ConfigMap` for core: how 422 messages name a kind. */
export function qualifiedKind(def: ResourceDef): string {
  return def.group ? `${def.kind}.${def.group}` : def.kind;
}

/** Every served group (core excluded) with its versions. */
export function servedGroups(): { name: string; versions: readonly string[] }[] {
  const groups = new Map<string, readonly string[]>();
  for (const r of RESOURCES) if (r.group) groups.set(r.group, r.versions);
  return [...groups].map(([name, versions]) => ({ name, versions }));
}
