/**
 * The calls the Kubernetes adapter makes to one cluster, over the client's
 * KubernetesObjectApi (server-side apply, read, list, delete), with the API's
 * errors turned into ours by HTTP status: 409, 429 and 5xx are transient (and
 * so is a connection that fails), 401 and 403 are configuration (the
 * controller lacks a permission), 404 is not-found, 400, 415 and 422 are
 * permanent and name the fields the server names.
 */
import { ApiException, type KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { ConfigurationError, NotFoundError, PermanentError, TransientError } from '../../errors.js';
import { FIELD_MANAGER, type KubeObject } from './objects.js';

/** One cluster's API, narrowed to what the adapter does. */
export interface KubeApi {
  /** The object, or undefined when it does not exist. */
  read(apiVersion: string, kind: string, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** The objects of `kind` in `namespace` matching `labelSelector`. */
  list(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<KubeObject[]>;
  /** Server-side apply as field manager `ringmaster` (forced: the caller checked the object is ours). */
  apply(object: KubeObject): Promise<KubeObject>;
  /** Deletes the object; 'absent' when it was already gone. */
  remove(apiVersion: string, kind: string, namespace: string, name: string): Promise<'deleted' | 'absent'>;
}

/** The KubeApi of cluster `cluster` (named in errors) over `objects`. */
export function kubeApi(objects: KubernetesObjectApi, cluster: string): KubeApi {
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw apiError(err, `${what} in cluster ${cluster}`);
    }
  };
  const header = (apiVersion: string, kind: string, namespace: string, name: string) => ({
    apiVersion,
    kind,
    metadata: { name, namespace },
  });
  return {
    async read(apiVersion, kind, namespace, name) {
      try {
        return plain(await objects.read(header(apiVersion, kind, namespace, name)));
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined;
        throw apiError(err, `reading ${kind} ${namespace}/${name} in cluster ${cluster}`);
      }
    },
    list: (apiVersion, kind, namespace, labelSelector) =>
      call(`listing ${kind} in ${namespace}`, async () => {
        const list = await objects.list(
          apiVersion,
          kind,
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          labelSelector,
        );
        // A list's items carry no apiVersion and kind: they are the list's.
        return list.items.map((item) => ({ ...plain(item), apiVersion, kind }));
      }),
    apply: (object) =>
      call(`applying ${object.kind} ${object.metadata.namespace}/${object.metadata.name}`, async () =>
        plain(
          await objects.patch(
            object,
            undefined,
            undefined,
            FIELD_MANAGER,
            true,
            PatchStrategy.ServerSideApply,
          ),
        ),
      ),
    async remove(apiVersion, kind, namespace, name) {
      try {
        await objects.delete(
          header(apiVersion, kind, namespace, name),
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
        );
        return 'deleted';
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return 'absent';
        throw apiError(err, `deleting ${kind} ${namespace}/${name} in cluster ${cluster}`);
      }
    },
  };
}

/**
 * The client's typed model instance, narrowed to our shape: the models keep
 * the API's field names, and we read no field the client turns into another
 * type (it makes Dates of timestamps), so no copy is made.
 */
function plain(object: unknown): KubeObject {
  return object as KubeObject;
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: { field?: string; message?: string }[] };
}

/** Our error for a failed call `what`, by the HTTP status of the answer. */
function apiError(err: unknown, what: string): Error {
  if (!(err instanceof ApiException)) {
    // No answer at all (refused, reset, DNS): the cluster may be back at the next try.
    const text = err instanceof Error ? err.message : String(err);
    return new TransientError('KubernetesUnreachable', `${what} failed: ${text}`, { cause: err });
  }
  const code = err.code as number;
  const status = statusOf(err.body);
  const message = status?.message ?? `HTTP ${code}`;
  const options = { cause: err };
  if (code === 404) return new NotFoundError('KubernetesNotFound', `${what}: ${message}`, options);
  if (code === 401 || code === 403)
    return new ConfigurationError(
      'KubernetesForbidden',
      `${what} was refused (${code}): ${message}; give the controller's service account this permission (see deploy/rbac.yaml)`,
      options,
    );
  if (code === 409 || code === 429 || code >= 500)
    return new TransientError(
      `Kubernetes${status?.reason ?? code}`,
      `${what} failed (${code}): ${message}`,
      options,
    );
  const fields = (status?.details?.causes ?? []).map((c) => c.field).filter((f): f is string => !!f);
  const at = fields.length ? ` (fields: ${fields.join(', ')})` : '';
  return new PermanentError(
    `Kubernetes${status?.reason ?? code}`,
    `${what} was rejected (${code}): ${message}${at}`,
    options,
  );
}

/** The Status of an error body: a JSON string for most calls of the generated client, an object for some. */
function statusOf(body: unknown): StatusBody | undefined {
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as StatusBody) : undefined;
  } catch {
    return { message: body.slice(0, 200) };
  }
}
