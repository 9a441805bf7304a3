/**
 * The cluster and health ports on Kubernetes and Istio. Per group, in its
 * namespace: a Deployment per service and colour, a Service and an Istio
 * DestinationRule per service, the tenant registry ConfigMap, and a
 * VirtualService for the tenant hosts that says which colour serves (see
 * objects.ts for names and labels). Every write is a server-side apply as
 * `ringmaster`, after a read that proves the object is this group's: an
 * object of the same name without our labels is never modified or deleted,
 * the step fails instead. Deletes go only to objects found by our labels.
 * Every call is idempotent, so a crash between any two resumes cleanly.
 */
import { PermanentError } from '../../errors.js';
import type { StackColor } from '../../model/naming.js';
import type { CallContext, ClusterPort, EnsureResult, HealthPort, StackSpec } from '../ports.js';
import type { IstioApiVersion } from '../providers-file.js';
import type { KubeApi } from './kube-api.js';
import {
  type KubeObject,
  LABEL,
  type Owner,
  deployment,
  destinationRule,
  groupBase,
  groupSelector,
  isOwnedBy,
  job,
  peerRouting,
  jobName,
  registryConfigMap,
  registryName,
  releaseAnnotation,
  routesOf,
  service,
  servingColour,
  virtualService,
} from './objects.js';
import { deploymentRollout, jobProgress } from './rollout.js';

/** What the Kubernetes adapter needs. */
export interface KubernetesOptions {
  /** The API of the named cluster; throws ConfigurationError for a cluster the providers file lacks. */
  readonly clusterApi: (cluster: string) => KubeApi;
  readonly istioApiVersion: IstioApiVersion;
}

const DEPLOYMENT = ['apps/v1', 'Deployment'] as const;
const SERVICE = ['v1', 'Service'] as const;
const CONFIG_MAP = ['v1', 'ConfigMap'] as const;
const JOB = ['batch/v1', 'Job'] as const;

const ownerOf = (ctx: CallContext): Owner => ({ constellation: ctx.constellation, group: ctx.group });

/** The cluster port on Kubernetes and Istio. */
export function kubernetesCluster(options: KubernetesOptions): ClusterPort {
  const { clusterApi, istioApiVersion: istio } = options;
  return {
    async checkAccess(ctx, cluster, namespace) {
      await clusterApi(cluster).list(...DEPLOYMENT, namespace, groupSelector(ownerOf(ctx)));
    },

    async getActive(ctx, cluster, namespace) {
      const api = clusterApi(cluster);
      const o = ownerOf(ctx);
      const vs = await api.read(istio, 'VirtualService', namespace, groupBase(o));
      const color = vs && isOwnedBy(vs, o) ? servingColour(vs) : undefined;
      if (!color) return undefined;
      // Named by the last switch to this colour; a VirtualService written before that, or by a switch
      // still short of half the traffic, leaves it to the Deployments.
      const named = vs!.metadata.annotations?.[releaseAnnotation(color)];
      if (named) return { color, release: named };
      const serving = await api.list(...DEPLOYMENT, namespace, groupSelector(o, color));
      return { color, release: serving[0]?.metadata.labels?.[LABEL.version] ?? 'unknown' };
    },

    async ensureStack(ctx, spec) {
      const api = clusterApi(spec.cluster);
      const o = ownerOf(ctx);
      const names = Object.keys(spec.services).sort();
      const each = <T>(make: (name: string) => T) => names.map(make);
      // In the order they need each other: the pods mount the registry, routing names the rules' subsets.
      const waves = [
        [registryConfigMap(o, spec)],
        [
          ...each((n) => service(o, spec.namespace, n, spec.services[n]!.port)),
          ...each((n) => destinationRule(o, spec.namespace, n, istio)),
        ],
        each((n) => peerRouting(o, spec.namespace, n, istio)),
        each((n) => deployment(o, spec, n, spec.services[n]!)),
      ];
      // What the group has, a list per kind; a name it lacks is read alone (it may be missing, or foreign).
      const kinds = [SERVICE, [istio, 'DestinationRule'], [istio, 'VirtualService'], DEPLOYMENT] as const;
      const lists = await Promise.all(
        kinds.map(([v, k]) => api.list(v, k, spec.namespace, groupSelector(o))),
      );
      const ours = new Map(lists.flat().map((x) => [`${x.kind}/${x.metadata.name}`, x]));
      const readOrListed = (x: KubeObject) =>
        ours.get(`${x.kind}/${x.metadata.name}`) ?? readOwned(api, o, x);
      // Every name is checked before anything is written: a foreign object stops the stack whole.
      const found = await Promise.all(waves.map((wave) => Promise.all(wave.map(readOrListed))));
      const results: EnsureResult[] = [];
      for (const [i, wave] of waves.entries())
        results.push(...(await Promise.all(wave.map((x, j) => applyOver(api, x, found[i]![j])))));
      const deployments = results.slice(-names.length);
      const pruned = await pruneDeployments(api, spec, names, lists.at(-1)!);
      if (deployments.includes('created')) return 'created';
      return deployments.includes('updated') || pruned > 0 ? 'updated' : 'unchanged';
    },

    ensureTenants: (ctx, spec) =>
      ensureOwned(clusterApi(spec.cluster), ownerOf(ctx), registryConfigMap(ownerOf(ctx), spec)),

    async runJob(ctx, spec) {
      const api = clusterApi(spec.cluster);
      const o = ownerOf(ctx);
      const name = jobName(o, spec.name);
      let found = await api.read(...JOB, spec.namespace, name);
      // Started once: a Job's template cannot change, and running it twice would run its work twice.
      if (found) refuseForeign(found, o);
      else found = await api.apply(job(o, spec));
      const progress = jobProgress(found);
      if (progress.state === 'failed')
        throw new PermanentError(
          'JobFailed',
          `${progress.message}; look at its pods (kubectl -n ${spec.namespace} logs job/${name}), fix the cause and retry the group`,
        );
      return progress.state === 'done' ? { done: true } : { done: false, message: progress.message };
    },

    async rolloutStatus(ctx, cluster, namespace, color) {
      const stack = await stackOf(clusterApi(cluster), ownerOf(ctx), namespace, color);
      const waiting: string[] = [];
      for (const d of stack) {
        const rollout = deploymentRollout(d);
        if (rollout.state === 'failed')
          throw new PermanentError(
            'ProgressDeadlineExceeded',
            `the ${color} stack of group ${ctx.group} will not come up: ${rollout.message}; look at its pods (kubectl -n ${namespace} describe deployment ${d.metadata.name})`,
          );
        if (rollout.state === 'waiting') waiting.push(rollout.message);
      }
      return waiting.length === 0 ? { done: true } : { done: false, message: waiting.join('; ') };
    },

    async switchTraffic(ctx, cluster, namespace, color, hosts, weight = 100) {
      const api = clusterApi(cluster);
      const o = ownerOf(ctx);
      const stack = await stackOf(api, o, namespace, color);
      const release = stack[0]?.metadata.labels?.[LABEL.version];
      const routing = { hosts, routes: routesOf(stack), color, weight, ...(release ? { release } : {}) };
      await ensureOwned(api, o, virtualService(o, namespace, routing, istio));
    },

    async stopTraffic(ctx, cluster, namespace) {
      const api = clusterApi(cluster);
      const o = ownerOf(ctx);
      const vs = await api.read(istio, 'VirtualService', namespace, groupBase(o));
      if (!vs) return;
      refuseForeign(vs, o);
      await api.remove(istio, 'VirtualService', namespace, groupBase(o));
    },

    async deleteStack(ctx, cluster, namespace, color) {
      const api = clusterApi(cluster);
      const o = ownerOf(ctx);
      const all = await api.list(...DEPLOYMENT, namespace, groupSelector(o));
      const doomed = all.filter((d) => d.metadata.labels?.[LABEL.colour] === color);
      for (const d of doomed) await api.remove(...DEPLOYMENT, namespace, d.metadata.name);
      // The shared objects of a service go with its last Deployment, and everything with the group's last.
      const kept = new Set(
        all.filter((d) => !doomed.includes(d)).map((d) => d.metadata.labels?.[LABEL.name]),
      );
      const orphans = doomed.some((d) => !kept.has(d.metadata.labels?.[LABEL.name]));
      if (orphans || kept.size === 0) await pruneShared(api, o, namespace, istio);
      return doomed.length > 0 ? 'deleted' : 'absent';
    },
  };
}

/** The health port on Kubernetes: a colour is healthy when all its Deployments are rolled out and available. */
export function kubernetesHealth(options: KubernetesOptions): HealthPort {
  return {
    async check(ctx, cluster, namespace, color) {
      const o = ownerOf(ctx);
      const stack = await options.clusterApi(cluster).list(...DEPLOYMENT, namespace, groupSelector(o, color));
      if (stack.length === 0) return { healthy: false, reason: `no ${color} Deployments in ${namespace}` };
      for (const d of stack) {
        const rollout = deploymentRollout(d);
        if (rollout.state !== 'done') return { healthy: false, reason: rollout.message };
      }
      return { healthy: true };
    },
  };
}

/**
 * Applies `object` unless a same-named object that is not this group's is
 * there (then the step fails, naming it). Says whether it was created,
 * changed or already as asked (the server keeps the resourceVersion of an
 * apply that changes nothing).
 */
async function ensureOwned(api: KubeApi, o: Owner, object: KubeObject): Promise<EnsureResult> {
  return applyOver(api, object, await readOwned(api, o, object));
}

/** The object of `object`'s name as it is, if there is one; fails when it is not this group's. */
async function readOwned(api: KubeApi, o: Owner, object: KubeObject): Promise<KubeObject | undefined> {
  const { name, namespace } = object.metadata;
  const existing = await api.read(object.apiVersion, object.kind, namespace!, name);
  if (existing) refuseForeign(existing, o);
  return existing;
}

/** Applies `object` over `existing` (read just before); what that did. */
async function applyOver(
  api: KubeApi,
  object: KubeObject,
  existing: KubeObject | undefined,
): Promise<EnsureResult> {
  // Already as asked, field for field: no write (most objects of a group stay as they are in a transition).
  if (existing && holds(existing, object)) return 'unchanged';
  const applied = await api.apply(object);
  if (!existing) return 'created';
  return applied.metadata.resourceVersion === existing.metadata.resourceVersion ? 'unchanged' : 'updated';
}

/**
 * True when `existing` has every field `wanted` sets, with the same value
 * (lists element by element); what the server added besides is ignored.
 */
export function holds(existing: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted))
    return (
      Array.isArray(existing) &&
      existing.length === wanted.length &&
      wanted.every((w, i) => holds(existing[i], w))
    );
  if (wanted !== null && typeof wanted === 'object') {
    if (existing === null || typeof existing !== 'object') return false;
    const have = existing as Record<string, unknown>;
    return Object.entries(wanted).every(([k, w]) => w === undefined || holds(have[k], w));
  }
  return existing === wanted;
}

function refuseForeign(object: KubeObject, o: Owner): void {
  if (isOwnedBy(object, o)) return;
  const { kind, metadata } = object;
  throw new PermanentError(
    'NotOwned',
    `${kind} ${metadata.namespace}/${metadata.name} is not managed by ringmaster for ${o.constellation} (group ${o.group}): ` +
      'the controller leaves it alone; rename or remove it, or move the group to another namespace',
  );
}

/** The Deployments of one colour of the group; fails when there are none. */
async function stackOf(api: KubeApi, o: Owner, namespace: string, color: StackColor): Promise<KubeObject[]> {
  const stack = await api.list(...DEPLOYMENT, namespace, groupSelector(o, color));
  if (stack.length === 0)
    throw new PermanentError(
      'StackMissing',
      `group ${o.group} has no ${color} Deployments in ${namespace}; create the stack first`,
    );
  return stack;
}

/** Deletes the Deployments of the stack's colour for services the release no longer has; returns how many. */
async function pruneDeployments(
  api: KubeApi,
  spec: StackSpec,
  names: readonly string[],
  deployments: readonly KubeObject[],
): Promise<number> {
  const stale = deployments.filter(
    (d) =>
      d.metadata.labels?.[LABEL.colour] === spec.color &&
      !names.includes(d.metadata.labels?.[LABEL.name] ?? ''),
  );
  for (const d of stale) await api.remove(...DEPLOYMENT, spec.namespace, d.metadata.name);
  return stale.length;
}

/**
 * Deletes the group's Services and DestinationRules no Deployment serves any
 * more, and its Jobs and tenant registry once no Deployment is left.
 */
async function pruneShared(api: KubeApi, o: Owner, namespace: string, istio: IstioApiVersion): Promise<void> {
  const serving = new Set(
    (await api.list(...DEPLOYMENT, namespace, groupSelector(o))).map((d) => d.metadata.labels?.[LABEL.name]),
  );
  // The per-service objects carry the service's name label; the group's own VirtualService carries none.
  // Routing first, so no route is left pointing at a subset that is gone.
  for (const [apiVersion, kind] of [
    [istio, 'VirtualService'],
    [istio, 'DestinationRule'],
    SERVICE,
  ] as const) {
    for (const object of await api.list(apiVersion, kind, namespace, groupSelector(o)))
      if (
        object.metadata.labels?.[LABEL.name] !== undefined &&
        !serving.has(object.metadata.labels[LABEL.name])
      )
        await api.remove(apiVersion, kind, namespace, object.metadata.name);
  }
  if (serving.size > 0) return;
  // Nothing left running: the group's Jobs (their record of migrations and tenants) go with it.
  for (const j of await api.list(...JOB, namespace, groupSelector(o)))
    await api.remove(...JOB, namespace, j.metadata.name);
  const registry = await api.read(...CONFIG_MAP, namespace, registryName(o));
  if (registry && isOwnedBy(registry, o)) await api.remove(...CONFIG_MAP, namespace, registryName(o));
}
