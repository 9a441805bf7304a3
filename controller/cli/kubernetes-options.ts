/**
 * The Kubernetes clients of the clusters a providers file lists: one
 * KubeConfig per cluster, loaded when the controller starts, so a missing
 * kubeconfig or context stops it at once with a message rather than failing
 * groups one by one.
 */
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import type { EnvConfig } from '../config.js';
import { ConfigurationError } from '../errors.js';
import { type KubeApi, kubeApi } from '../providers/kubernetes/kube-api.js';
import type { ClusterAccess, ProvidersConfig } from '../providers/providers-file.js';

/**
 * The API of each cluster of `config`, by name; asking for a cluster the file
 * does not list throws ConfigurationError (the group's step fails, and the
 * group is held with that message). Throws ConfigurationError at once for a
 * kubeconfig that cannot be read or lacks the context named.
 */
export function openKubeClusters(config: ProvidersConfig, env: EnvConfig): (cluster: string) => KubeApi {
  const apis = new Map<string, KubeApi>();
  for (const access of config.clusters.values()) {
    apis.set(
      access.name,
      kubeApi(KubernetesObjectApi.makeApiClient(loadKubeConfig(access, config, env)), access.name),
    );
  }
  return (cluster) => {
    const api = apis.get(cluster);
    if (api) return api;
    throw new ConfigurationError(
      'UnknownCluster',
      `cluster "${cluster}" is not listed in providers file ${config.file}; add it under clusters: (ringmaster validate --providers ${config.file} lists every group that names it)`,
    );
  };
}

function loadKubeConfig(access: ClusterAccess, config: ProvidersConfig, env: EnvConfig): KubeConfig {
  const kc = new KubeConfig();
  const where = `cluster ${access.name} of providers file ${config.file}`;
  if (access.inCluster) {
    kc.loadFromCluster();
    return kc;
  }
  const path = access.kubeconfig ?? env.kubeconfig?.split(':')[0] ?? join(env.home ?? '.', '.kube', 'config');
  try {
    kc.loadFromFile(path);
  } catch (err) {
    throw new ConfigurationError(
      'KubeconfigUnreadable',
      `${where}: kubeconfig ${path} cannot be read (${(err as Error).message}); set kubeconfig: or KUBECONFIG`,
      { cause: err },
    );
  }
  if (access.context !== undefined) {
    if (!kc.getContextObject(access.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ConfigurationError(
        'UnknownContext',
        `${where}: kubeconfig ${path} has no context "${access.context}" (it has ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(access.context);
  }
  if (!kc.getCurrentCluster())
    throw new ConfigurationError(
      'NoCurrentContext',
      `${where}: kubeconfig ${path} has no current context; name one with context:`,
    );
  return kc;
}
