/**
 * The Kubernetes clients of the clusters a providers file lists: one
 * KubeConfig per cluster, loaded when the controller starts, so a missing
 * kubeconfig or context stops it at once with a message rather than failing
 * groups one by one.
 */
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import {
  KubeConfig,
  KubernetesObjectApi,
  type RequestContext,
  ServerConfiguration,
  createConfiguration,
} from '@kubernetes/client-node';
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
    apis.set(access.name, kubeApi(objectApi(loadKubeConfig(access, config, env)), access.name));
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

/**
 * The client of `kc`'s cluster, reusing its connections: client-node 1.4
 * gives every request a new agent, so a new connection (and, over TLS, a new
 * handshake) per call. A middleware swaps that agent for one kept-alive agent
 * with the same options; a proxy's agent is left as it is.
 */
function objectApi(kc: KubeConfig): KubernetesObjectApi {
  let shared: http.Agent | undefined;
  const keepAlive = {
    pre: async (context: RequestContext) => {
      const agent = context.getAgent();
      const Plain =
        agent?.constructor === https.Agent
          ? https.Agent
          : agent?.constructor === http.Agent
            ? http.Agent
            : undefined;
      if (!Plain) return context;
      // Node's Agent keeps the options it was made with; the typings do not say so for http.Agent.
      shared ??= new Plain({ ...(agent as { options?: http.AgentOptions }).options, keepAlive: true });
      context.setAgent(shared);
      return context;
    },
    post: async <T>(response: T) => response,
  };
  const server = new ServerConfiguration<Record<string, string>>(kc.getCurrentCluster()!.server, {});
  // Every object names its namespace, so the client's default namespace is never used.
  return new KubernetesObjectApi(
    createConfiguration({ baseServer: server, authMethods: { default: kc }, promiseMiddleware: [keepAlive] }),
  );
}

function loadKubeConfig(access: ClusterAccess, config: ProvidersConfig, env: EnvConfig): KubeConfig {
  const kc = new KubeConfig();
  const where = `cluster ${access.name} of providers file ${config.file}`;
  if (access.inCluster) {
    if (!env.kubernetesServiceHost)
      throw new ConfigurationError(
        'NotInCluster',
        `${where}: inCluster needs the controller to run in a pod of that cluster (KUBERNETES_SERVICE_HOST is not set); name a kubeconfig context instead`,
      );
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
