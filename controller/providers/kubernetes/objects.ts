/**
 * The Kubernetes and Istio objects the controller makes for a group, built
 * from our own types (pure). Names, for constellation `c` and group `g`:
 * Deployment `c-g-<service>-<colour>`, Service and DestinationRule
 * `c-g-<service>`, VirtualService `c-g`, tenant registry ConfigMap
 * `c-g-tenants`. Every object carries the labels of `groupLabels`, which is
 * how the controller knows what it owns.
 */
import type { StackColor } from '../../model/naming.js';
import { workloadName } from '../../model/naming.js';
import { createHash } from 'node:crypto';
import type { JobSpec, ServiceSpec, StackSpec, TenantsSpec } from '../ports.js';
import type { IstioApiVersion } from '../providers-file.js';

/** The field manager of every write. */
export const FIELD_MANAGER = 'ringmaster';

/** Where the tenant registry is mounted in every pod; the application re-reads it when it changes. */
const REGISTRY_MOUNT = '/etc/ringmaster/tenants';
const REGISTRY_FILE = 'tenants.json';

export const LABEL = {
  constellation: 'ringmaster.io/constellation',
  group: 'ringmaster.io/group',
  colour: 'ringmaster.io/colour',
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  version: 'app.kubernetes.io/version',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** Annotations that carry what a Deployment serves, for the traffic switch. */
const ANNOTATION = {
  route: 'ringmaster.io/route',
  port: 'ringmaster.io/port',
  schemaVersion: 'ringmaster.io/schema-version',
} as const;

/** The object shapes we write and read, narrowed to what we use. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    generation?: number;
  };
  // Spec, status and data differ per kind; each reader narrows what it reads.
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** Who a group's objects belong to. */
export interface Owner {
  readonly constellation: string;
  readonly group: string;
}

/** The base of a group's object names. */
export const groupBase = (o: Owner) => `${o.constellation}-${o.group}`;
const serviceName = (o: Owner, service: string) => `${groupBase(o)}-${service}`;
export const registryName = (o: Owner) => `${groupBase(o)}-tenants`;

/** The labels on everything of the group. */
export function groupLabels(o: Owner): Record<string, string> {
  return {
    [LABEL.managedBy]: 'ringmaster',
    [LABEL.partOf]: o.constellation,
    [LABEL.instance]: groupBase(o),
    [LABEL.constellation]: o.constellation,
    [LABEL.group]: o.group,
  };
}

/** A label selector (the `a=b,c=d` form) for what the controller made for the group, or for one colour of it. */
export function groupSelector(o: Owner, colour?: StackColor): string {
  const labels = {
    [LABEL.managedBy]: 'ringmaster',
    [LABEL.constellation]: o.constellation,
    [LABEL.group]: o.group,
  };
  const all = colour ? { ...labels, [LABEL.colour]: colour } : labels;
  return Object.entries(all)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** True when `object` carries the labels of `o`: the controller made it for this group. */
export function isOwnedBy(object: KubeObject, o: Owner): boolean {
  const labels = object.metadata.labels ?? {};
  return (
    labels[LABEL.managedBy] === 'ringmaster' &&
    labels[LABEL.constellation] === o.constellation &&
    labels[LABEL.group] === o.group
  );
}

/** The tenant registry: every tenant's id, host, language, offset, database and secret names. */
export function registryConfigMap(o: Owner, spec: TenantsSpec): KubeObject {
  const tenants = spec.tenants.map((t) => ({
    id: t.id,
    host: t.host,
    language: t.language,
    utcOffset: t.utcOffset,
    ...(t.testOf === undefined ? {} : { testOf: t.testOf }),
    database: { instance: (spec.databases?.[t.id] ?? spec.database).instance, name: t.id.replace(/-/g, '_') },
    secrets: spec.secrets,
  }));
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: registryName(o), namespace: spec.namespace, labels: groupLabels(o) },
    data: { [REGISTRY_FILE]: `${JSON.stringify({ tenants }, null, 2)}\n` },
  };
}

/** The Deployment of one service of the stack of `spec.color`. */
export function deployment(o: Owner, spec: StackSpec, service: string, s: ServiceSpec): KubeObject {
  const selector = { ...selectorLabels(o, service), [LABEL.colour]: spec.color };
  const labels = { ...groupLabels(o), ...selector, [LABEL.version]: spec.release };
  const annotations: Record<string, string> = {
    [ANNOTATION.port]: String(s.port),
    [ANNOTATION.schemaVersion]: String(spec.schemaVersion),
    ...(s.route === undefined ? {} : { [ANNOTATION.route]: s.route }),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: workloadName(o.constellation, o.group, service, spec.color),
      namespace: spec.namespace,
      labels,
      annotations,
    },
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: service,
              image: s.image,
              ports: [{ name: 'http', containerPort: s.port }],
              readinessProbe: { httpGet: { path: s.healthPath, port: s.port } },
              env: [REGISTRY_ENV],
              volumeMounts: REGISTRY_MOUNTS,
            },
          ],
          volumes: registryVolumes(o),
        },
      },
    },
  };
}

const REGISTRY_ENV = { name: 'RINGMASTER_TENANTS', value: `${REGISTRY_MOUNT}/${REGISTRY_FILE}` };
const REGISTRY_MOUNTS = [{ name: 'tenants', mountPath: REGISTRY_MOUNT, readOnly: true }];

/** Mounted as a folder, not a subPath: the kubelet then updates the file in place, without a restart. */
function registryVolumes(o: Owner) {
  return [{ name: 'tenants', configMap: { name: registryName(o) } }];
}

/** The name of the group's Job `name`, shortened with a hash where it would pass the label limit of 63. */
export function jobName(o: Owner, name: string): string {
  const full = `${groupBase(o)}-${name}`;
  if (full.length <= 63) return full;
  return `${full.slice(0, 52).replace(/-+$/, '')}-${createHash('sha256').update(full).digest('hex').slice(0, 10)}`;
}

/** A Job of the group, with the tenant registry mounted; it is not retried past two failures. */
export function job(o: Owner, spec: JobSpec): KubeObject {
  const labels = {
    ...groupLabels(o),
    'ringmaster.io/job': spec.name.slice(0, 63).replace(/[^A-Za-z0-9]+$/, ''),
  };
  const env = [...Object.entries(spec.env).map(([name, value]) => ({ name, value })), REGISTRY_ENV];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(o, spec.name), namespace: spec.namespace, labels },
    spec: {
      backoffLimit: 2,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'job',
              image: spec.template.image,
              command: [...spec.template.command],
              env,
              volumeMounts: REGISTRY_MOUNTS,
            },
          ],
          volumes: registryVolumes(o),
        },
      },
    },
  };
}

/** The Service of one service, selecting both colours (the mesh picks one through the subsets). */
export function service(o: Owner, namespace: string, name: string, port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName(o, name), namespace, labels: { ...groupLabels(o), [LABEL.name]: name } },
    spec: {
      selector: selectorLabels(o, name),
      ports: [{ name: 'http', port, targetPort: port }],
    },
  };
}

/** The DestinationRule of one service: a subset per colour. */
export function destinationRule(o: Owner, namespace: string, name: string, api: IstioApiVersion): KubeObject {
  return {
    apiVersion: api,
    kind: 'DestinationRule',
    metadata: { name: serviceName(o, name), namespace, labels: { ...groupLabels(o), [LABEL.name]: name } },
    spec: {
      host: serviceName(o, name),
      subsets: (['blue', 'green'] as const).map((c) => ({ name: c, labels: { [LABEL.colour]: c } })),
    },
  };
}

/**
 * The mesh routing of one service within the group: a caller of each colour
 * reaches the same colour, so a stack being verified talks only to its own
 * peers, never to the stack that serves.
 */
export function peerRouting(o: Owner, namespace: string, name: string, api: IstioApiVersion): KubeObject {
  const host = serviceName(o, name);
  return {
    apiVersion: api,
    kind: 'VirtualService',
    metadata: { name: host, namespace, labels: { ...groupLabels(o), [LABEL.name]: name } },
    spec: {
      hosts: [host],
      http: (['blue', 'green'] as const).map((c) => ({
        name: c,
        match: [{ sourceLabels: { [LABEL.group]: o.group, [LABEL.colour]: c } }],
        route: [{ destination: { host, subset: c } }],
      })),
    },
  };
}

/** One routed service of a stack: its name, path prefix and port. */
export interface Route {
  readonly service: string;
  readonly prefix: string;
  readonly port: number;
}

/** How the group's tenant hosts are routed: `weight` percent to `color`, the rest to the other colour. */
export interface Routing {
  readonly hosts: readonly string[];
  readonly routes: readonly Route[];
  readonly color: StackColor;
  readonly weight: number;
  /** The release `color`'s stack runs (its Deployments' version label), when they carry one. */
  readonly release?: string;
}

/**
 * The annotation of a group's VirtualService that names the release of the
 * colour last switched to: what serves is read from the VirtualService alone.
 */
export function releaseAnnotation(color: StackColor): string {
  return `ringmaster.io/release-${color}`;
}

/** The VirtualService of the group's tenant hosts: per routed service (longest prefix first), the split of `routing`. */
export function virtualService(
  o: Owner,
  namespace: string,
  routing: Routing,
  api: IstioApiVersion,
): KubeObject {
  const { color, weight } = routing;
  const other: StackColor = color === 'blue' ? 'green' : 'blue';
  const ordered = [...routing.routes].sort(
    (a, b) => b.prefix.length - a.prefix.length || a.prefix.localeCompare(b.prefix),
  );
  const annotations = routing.release ? { [releaseAnnotation(color)]: routing.release } : undefined;
  return {
    apiVersion: api,
    kind: 'VirtualService',
    metadata: {
      name: groupBase(o),
      namespace,
      labels: groupLabels(o),
      ...(annotations ? { annotations } : {}),
    },
    spec: {
      hosts: [...routing.hosts].sort(),
      http: ordered.map((r) => ({
        name: r.service,
        match: [{ uri: { prefix: r.prefix } }],
        route: [
          { destination: destination(o, r, color), weight },
          { destination: destination(o, r, other), weight: 100 - weight },
        ],
      })),
    },
  };
}

function destination(o: Owner, r: Route, subset: StackColor) {
  return { host: serviceName(o, r.service), subset, port: { number: r.port } };
}

/** The colour a VirtualService of ours sends most of its traffic to, if it sends any. */
export function servingColour(vs: KubeObject): StackColor | undefined {
  const http = (vs.spec?.http ?? []) as {
    route?: { destination?: { subset?: string }; weight?: number }[];
  }[];
  const routes = (http[0]?.route ?? []).filter((r) => (r.weight ?? 0) > 0);
  const top = routes.sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0))[0]?.destination?.subset;
  return top === 'blue' || top === 'green' ? top : undefined;
}

/** The routes of a stack, from its Deployments' annotations; none declared: the first service by name at `/`. */
export function routesOf(deployments: readonly KubeObject[]): Route[] {
  const services = deployments
    .map((d) => ({
      service: d.metadata.labels?.[LABEL.name] ?? '',
      prefix: d.metadata.annotations?.[ANNOTATION.route],
      port: Number(d.metadata.annotations?.[ANNOTATION.port] ?? 8080),
    }))
    .sort((a, b) => a.service.localeCompare(b.service));
  const routed = services.filter((s): s is Route => s.prefix !== undefined);
  if (routed.length > 0 || services.length === 0) return routed;
  return [{ ...services[0]!, prefix: '/' }];
}

function selectorLabels(o: Owner, service: string): Record<string, string> {
  return { [LABEL.constellation]: o.constellation, [LABEL.group]: o.group, [LABEL.name]: service };
}
