/**
 * A local Kubernetes API server stand-in for tests that drive the real
 * `@kubernetes/client-node`: node:http on 127.0.0.1, in-memory objects to seed and
 * inspect, a request log, and the apiserver's rules (PROVIDERS.md A2). Test code
 * only: production code must never import it.
 *
 * Usage: `const kube = await startKubeStandIn();`
 * `k8s.KubeConfig.loadFromString(kube.kubeconfig({ context: 'test' }))` (an http://
 * cluster with `insecure-skip-tls-verify`, as client-node requires), seed with
 * `kube.seed(...)`, look with `kube.get/list/requests`, and `await kube.close()`.
 *
 * Served (all namespaced, any namespace accepted): core v1 services, configmaps;
 * apps/v1 deployments (+/status); batch/v1 jobs (+/status);
 * coordination.k8s.io/v1 leases; networking.istio.io v1, v1beta1 and v1alpha3
 * virtualservices, destinationrules (one storage, apiVersion per request). Plus
 * discovery (`/api`, `/api/v1`, `/apis`, `/apis/{g}[/{v}]`, `/version`).
 *
 * Verbs: get, list (label and field selectors), watch (watch.ts), create, update
 * (PUT; 409 on a stale resourceVersion, unconditional without one), delete, patch
 * (JSON, merge, strategic for built-ins, server-side apply with field ownership:
 * field-manager.ts). Every write is validated (validation.ts, istio-validation.ts),
 * defaulted (defaults.ts), gets a new resourceVersion unless it changes nothing,
 * and bumps metadata.generation only when something outside metadata and status
 * changes. Deployments and Jobs progress per read, never per timer (controllers.ts).
 * With `rbac`, tokens and RBAC rules are enforced (rbac.ts). Failures are `Status`
 * bodies (status.ts).
 *
 * Mind: a read of a Deployment or Job may itself write (the controller's status
 * update), so a GET-modify-PUT across another read of it meets 409, as against a
 * real cluster with a busy controller. Use server-side apply, or re-read.
 *
 * Where the real apiserver differs from PROVIDERS.md, the stand-in follows the
 * apiserver: apply without `fieldManager` is 422 Invalid on
 * `PatchOptions.meta.k8s.io`; zero counts are omitted from a Deployment status
 * (omitempty); built-in list items carry no apiVersion/kind; a conflict names an
 * Apply manager without "using <apiVersion>"; 401, 410 and 415 bodies have no
 * details. Not served: Namespaces and other kinds, deletecollection, `limit` /
 * `continue` paging (a list is always whole), bookmarks, server-side apply to
 * /status (handled as a merge patch), unknown-field pruning of custom resources.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WriteContext, render } from './commit.js';
import { type ImageBehaviour, Controllers } from './controllers.js';
import { type FailureMatch, FrontDoor, type KubeRequest } from './front-door.js';
import { Rbac, type RbacConfig } from './rbac.js';
import { resourceOf, splitApiVersion } from './resources.js';
import { kubeconfigYaml, seedObject } from './seed.js';
import { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';
import { Watches } from './watch.js';

export type { ImageBehaviour } from './controllers.js';
export type { KubeRequest } from './front-door.js';
export type { RbacConfig } from './rbac.js';
export type { KubeMeta, KubeObject, ManagedFieldsEntry } from './types.js';

/** Options of `startKubeStandIn`; every one has a default. */
export interface KubeStandInOptions {
  /**
   * RBAC documents (Role, ClusterRole, RoleBinding, ClusterRoleBinding, ServiceAccount, e.g.
   * parsed from deploy/*.yaml) enforced for the tokens in `tokens`; without `rbac` every
   * request is allowed (as `system:admin`).
   */
  rbac?: RbacConfig;
  /** Reads of a Deployment (GET of it or its /status, or a list holding it) per rollout stage; default 1. */
  deploymentReadsPerStage?: number;
  /** Reads of a Job before it finishes; default 2. */
  jobReadsToFinish?: number;
  /** How workloads with a container image behave; default every image 'ok'. */
  imageBehaviour?: (image: string) => ImageBehaviour;
  /** Jobs for which this is true fail with BackoffLimitExceeded; default none. */
  jobFails?: (job: KubeObject) => boolean;
  /**
   * Clock in epoch milliseconds for timestamps and watch `timeoutSeconds`; default
   * `Date.now` (then an unref'd timer also ends timed-out watches).
   */
  now?: () => number;
}

/** A running stand-in. */
export interface KubeStandIn {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** A kubeconfig YAML with one context `context` pointing here (insecure-skip-tls-verify, token as bearer). */
  kubeconfig(opts: { context: string; token?: string; namespace?: string }): string;
  /** A stored object as `apiVersion` shows it (a copy), or undefined. Does not count as a read. */
  get(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  /** The stored objects of a kind, in one namespace or all (copies). Does not count as a read. */
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /**
   * Stores an object as if someone else made it (created, or replaced when it exists),
   * validated like any write; `manager` (default `seed`) owns its fields; uid,
   * resourceVersion and generation are assigned. A given status is stored too and then
   * left alone by the controllers. Throws when refused.
   */
  seed(object: object, opts?: { manager?: string }): KubeObject;
  /** Every request, in order. */
  readonly requests: readonly KubeRequest[];
  /** Requests RBAC allowed, by `<group>/<resource>/<verb>` (core group empty: `/configmaps/get`). */
  usedPermissions(): ReadonlyMap<string, number>;
  /** Forgets the watch history up to now: a watch from an older resourceVersion gets 410 Expired. */
  compactHistory(): void;
  /**
   * Makes the next `count` (default 1; Infinity: every one) requests matching
   * `match` fail with `status` and a Status body.
   */
  failNext(match: FailureMatch, status: number, count?: number): void;
  /** How many watches are streaming. */
  readonly openWatches: number;
  /** Ends all watches and stops listening (once; later calls answer the same promise). */
  close(): Promise<void>;
}

/** The stand-in's parts, wired per `options`. */
function assemble(options: KubeStandInOptions) {
  const now = options.now ?? Date.now;
  const store = new ObjectStore();
  let ips = 0;
  const allocateIp = () => `10.96.${Math.floor(++ips / 250)}.${(ips % 250) + 1}`;
  const write: WriteContext = { store, now, allocateIp };
  const controllers = new Controllers(write, {
    deploymentReadsPerStage: options.deploymentReadsPerStage ?? 1,
    jobReadsToFinish: options.jobReadsToFinish ?? 2,
    imageBehaviour: options.imageBehaviour ?? (() => 'ok'),
    jobFails: options.jobFails ?? (() => false),
  });
  const watches = new Watches(store, now, options.now === undefined);
  const rbac = options.rbac ? new Rbac(options.rbac) : undefined;
  const door = new FrontDoor({ write, read: { store, controllers }, watches, controllers }, rbac);
  return { store, write, controllers, watches, rbac, door };
}

/** Starts the stand-in on 127.0.0.1 with an ephemeral port; resolves once listening. */
export async function startKubeStandIn(options: KubeStandInOptions = {}): Promise<KubeStandIn> {
  const { store, write, controllers, watches, rbac, door } = assemble(options);
  const server = createServer((req, res) => {
    door.handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  door.hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `http://${door.hostPort}`;
  let closing: Promise<void> | undefined;
  const view = (apiVersion: string, kind: string) => ({
    def: resourceOf(apiVersion, kind),
    version: splitApiVersion(apiVersion).version,
  });
  return {
    url,
    kubeconfig: (opts) => kubeconfigYaml(url, opts),
    get: (apiVersion, kind, namespace, name) => {
      const { def, version } = view(apiVersion, kind);
      const record = def && store.get(def, namespace, name);
      return def && record ? render(record.object, def, version) : undefined;
    },
    list: (apiVersion, kind, namespace) => {
      const { def, version } = view(apiVersion, kind);
      return def ? store.list(def, namespace).map((r) => render(r.object, def, version)) : [];
    },
    seed: (object, opts = {}) => seedObject(write, controllers, object, opts.manager ?? 'seed'),
    requests: door.requests,
    usedPermissions: () => rbac?.used() ?? new Map<string, number>(),
    compactHistory: () => store.compact(),
    failNext: (match, status, count = 1) => door.failNext(match, status, count),
    get openWatches() {
      return watches.count;
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        watches.closeAll();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
      return closing;
    },
  };
}
