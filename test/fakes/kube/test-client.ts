/**
 * Helpers for tests that drive the Kubernetes stand-in with the real
 * `@kubernetes/client-node`. Test code only.
 */
import * as k8s from '@kubernetes/client-node';
import type { KubeStandIn } from './server.js';

/** The typed clients of one kubeconfig context pointing at the stand-in. */
export interface Clients {
  kc: k8s.KubeConfig;
  apps: k8s.AppsV1Api;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  custom: k8s.CustomObjectsApi;
  coord: k8s.CoordinationV1Api;
  objects: k8s.KubernetesObjectApi;
}

/** Clients for context `test` in namespace `prod` (or as given), loaded from the stand-in's kubeconfig. */
export function clientsFor(kube: KubeStandIn, opts: { token?: string; namespace?: string } = {}): Clients {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kube.kubeconfig({ context: 'test', namespace: 'prod', ...opts }));
  return {
    kc,
    apps: kc.makeApiClient(k8s.AppsV1Api),
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    coord: kc.makeApiClient(k8s.CoordinationV1Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
  };
}

/** A `Status` failure body as the stand-in sends it. */
export interface StatusBody {
  kind: string;
  apiVersion: string;
  metadata: object;
  status: string;
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message: string; field?: string }[];
  };
  code: number;
}

/** The HTTP code and parsed Status of a call that must fail with an `ApiException` (whose body is a string). */
export async function failure(call: Promise<unknown>): Promise<{ code: number; status: StatusBody }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof k8s.ApiException)) throw err;
    const body: unknown = err.body;
    const status = (typeof body === 'string' && body ? JSON.parse(body) : body) as StatusBody;
    return { code: err.code, status };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A Deployment `name` of `replicas` pods running `image`, selected by `app: name`. */
export function deployment(name: string, image = 'nginx:1.27', replicas = 2): k8s.V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'prod', labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

/** A DestinationRule `app` (host `app`) with subsets blue and green, as v1beta1. */
export const destinationRule = {
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'DestinationRule',
  metadata: { name: 'app' },
  spec: {
    host: 'app',
    subsets: [
      { name: 'blue', labels: { colour: 'blue' } },
      { name: 'green', labels: { colour: 'green' } },
    ],
  },
};

/** A v1 VirtualService `app` whose route `primary` splits `weights` between subset blue and `second`. */
export function virtualService(weights: [number, number], second = 'green') {
  const route = [
    { destination: { host: 'app', subset: 'blue' }, weight: weights[0] },
    { destination: { host: 'app.prod.svc.cluster.local', subset: second }, weight: weights[1] },
  ];
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'app' },
    spec: { hosts: ['app'], http: [{ name: 'primary', route }] },
  };
}

/** What `kubectl rollout status` says of a Deployment (kubectl rollout_status.go, DeploymentStatusViewer). */
export function rolloutStatus(d: k8s.V1Deployment): string {
  const name = d.metadata?.name ?? '';
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return 'Waiting for deployment spec update to be observed...';
  }
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return `error: deployment "${name}" exceeded its progress deadline`;
  }
  const [updated, replicas, available] = [s.updatedReplicas ?? 0, s.replicas ?? 0, s.availableReplicas ?? 0];
  const wanted = d.spec?.replicas;
  if (wanted !== undefined && updated < wanted)
    return `${updated} out of ${wanted} new replicas have been updated`;
  if (replicas > updated) return `${replicas - updated} old replicas are pending termination`;
  if (available < updated) return `${available} of ${updated} updated replicas are available`;
  return `deployment "${name}" successfully rolled out`;
}

/** One watch event as the client's `Watch` callback receives it. */
export interface SeenEvent {
  type: string;
  object: {
    metadata?: { name?: string; resourceVersion?: string };
    code?: number;
    reason?: string;
    message?: string;
  };
}

/** A watch through the client's `Watch` class, collecting its events; `until(n)` resolves once n have arrived. */
export async function watchEvents(
  kc: k8s.KubeConfig,
  path: string,
  query: Record<string, string | number> = {},
) {
  const events: SeenEvent[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let finish: (err: unknown) => void = () => undefined;
  const ended = new Promise<unknown>((resolve) => (finish = resolve));
  const controller = await new k8s.Watch(kc).watch(
    path,
    query,
    (type, object) => {
      events.push({ type, object: object as SeenEvent['object'] });
      for (const w of waiters.filter((x) => events.length >= x.n)) w.resolve();
    },
    (err) => finish(err),
  );
  const until = (n: number) =>
    events.length >= n
      ? Promise.resolve(events)
      : new Promise<SeenEvent[]>((resolve) => waiters.push({ n, resolve: () => resolve(events) }));
  return { events, until, ended, stop: () => controller.abort() };
}
