/**
 * The defaults the apiserver fills in on every write, for the fields clients most
 * often compare against (a subset: pod template defaults are not filled). Test code only.
 *
 * Deployment: replicas 1, revisionHistoryLimit 10, progressDeadlineSeconds 600,
 * strategy RollingUpdate 25%/25%. Job: backoffLimit 6, completions 1, parallelism 1,
 * completionMode NonIndexed, suspend false. Service: type ClusterIP, sessionAffinity
 * None, a cluster IP kept across updates, single-stack IPv4, ports TCP with
 * targetPort = port. A created built-in with a status subresource starts with an
 * empty status.
 */
import type { ResourceDef } from './resources.js';
import { type JsonObject, isObject, objectAt } from './types.js';

/** Fills defaults into `object` in place; `old` is the stored object on updates. */
export function applyDefaults(
  def: ResourceDef,
  object: JsonObject,
  old: JsonObject | undefined,
  allocateIp: () => string,
): void {
  const spec = isObject(object.spec) ? object.spec : undefined;
  if (def.kind === 'Deployment' && spec) deploymentDefaults(spec);
  if (def.kind === 'Job' && spec) {
    fill(spec, {
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      completionMode: 'NonIndexed',
      suspend: false,
    });
  }
  if (def.kind === 'Service' && spec) serviceDefaults(spec, old && objectAt(old, 'spec'), allocateIp);
  if (!old && def.builtIn && def.statusSubresource && !isObject(object.status)) {
    object.status = def.kind === 'Service' ? { loadBalancer: {} } : {};
  }
}

function deploymentDefaults(spec: JsonObject): void {
  fill(spec, { replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
  const strategy = isObject(spec.strategy) ? spec.strategy : (spec.strategy = {});
  fill(strategy, { type: 'RollingUpdate' });
  if (strategy.type === 'RollingUpdate') {
    const rolling = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : (strategy.rollingUpdate = {});
    fill(rolling, { maxUnavailable: '25%', maxSurge: '25%' });
  }
}

function serviceDefaults(spec: JsonObject, old: JsonObject | undefined, allocateIp: () => string): void {
  fill(spec, { type: 'ClusterIP', sessionAffinity: 'None' });
  if (spec.type !== 'ExternalName') {
    const ip = spec.clusterIP ?? old?.clusterIP ?? allocateIp();
    spec.clusterIP = ip;
    fill(spec, {
      clusterIPs: [ip],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    });
  }
  for (const port of Array.isArray(spec.ports) ? spec.ports : []) {
    if (isObject(port)) fill(port, { protocol: 'TCP', targetPort: port.port });
  }
}

function fill(target: JsonObject, defaults: JsonObject): void {
  for (const [k, v] of Object.entries(defaults)) if (target[k] === undefined) target[k] = v;
}
