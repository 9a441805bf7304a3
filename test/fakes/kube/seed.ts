/**
 * What tests do to the stand-in from outside HTTP: seeding objects, and the
 * kubeconfig that points a client at it. Test code only.
 */
import { stringify as toYaml } from 'yaml';
import { type WriteContext, commit, render } from './commit.js';
import type { Controllers } from './controllers.js';
import { resourceOf, splitApiVersion } from './resources.js';
import { type JsonObject, type KubeObject, type Reply, isObject, objectAt } from './types.js';

/**
 * Stores `object` as `manager` would by a create (or a replace when it exists),
 * through the same validation as any write; a status given is stored too and the
 * controllers leave it alone. Namespace defaults to `default`. Throws when the
 * kind is not served or the object is refused.
 */
export function seedObject(
  ctx: WriteContext,
  controllers: Controllers,
  object: object,
  manager: string,
): KubeObject {
  const body = object as JsonObject;
  const def = resourceOf(String(body.apiVersion ?? ''), String(body.kind ?? ''));
  if (!def) throw new Error(`seed: ${String(body.apiVersion)} ${String(body.kind)} is not served`);
  const meta = objectAt(body, 'metadata');
  const namespace = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
  const name = String(meta.name ?? '');
  const version = splitApiVersion(String(body.apiVersion)).version;
  const base = { def, version, namespace, name, manager };
  check(commit(ctx, { ...base, old: ctx.store.get(def, namespace, name), next: body, part: 'main' }));
  const stored = ctx.store.get(def, namespace, name);
  if (stored && isObject(body.status) && def.statusSubresource) {
    check(commit(ctx, { ...base, old: stored, next: body, part: 'status' }));
    controllers.onStatusWritten(stored.object);
  }
  const result = ctx.store.get(def, namespace, name);
  if (!result) throw new Error('seed: nothing stored');
  return render(result.object, def, version);
}

function check(reply: Reply): void {
  if (reply.status >= 300) throw new Error(`seed refused: ${JSON.stringify(reply.body)}`);
}

/** A kubeconfig with one cluster (`insecure-skip-tls-verify`, as client-node needs for http://), user and context. */
export function kubeconfigYaml(
  url: string,
  opts: { context: string; token?: string; namespace?: string },
): string {
  const user = `${opts.context}-user`;
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kube-stand-in', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: user, user: opts.token ? { token: opts.token } : {} }],
    contexts: [
      {
        name: opts.context,
        context: { cluster: 'kube-stand-in', user, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
      },
    ],
    'current-context': opts.context,
  });
}
