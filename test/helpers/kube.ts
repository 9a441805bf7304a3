/**
 * The Kubernetes stand-in with the controller's RBAC from deploy/, and the
 * adapter's ports built on it through the real client, as the composition
 * root builds them.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { kubernetesCluster, kubernetesHealth } from '../../controller/providers/kubernetes/cluster.js';
import { kubeApi } from '../../controller/providers/kubernetes/kube-api.js';
import type { IstioApiVersion } from '../../controller/providers/providers-file.js';
import { type KubeStandInOptions, type KubeStandIn, startKubeStandIn } from '../fakes/kube/server.js';

/** The token of the controller's service account (deploy/controller.yaml) at the stand-in. */
export const CONTROLLER_TOKEN = 'ringmaster-service-account-token';

/** Every object of the YAML files under deploy/ named. */
export function deployObjects(...files: string[]): object[] {
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(`deploy/${f}`, 'utf8')).map((d) => d.toJSON() as object),
  );
}

/** A stand-in enforcing deploy/rbac.yaml for the controller's service account. */
export function startKubeWithRbac(options: KubeStandInOptions = {}): Promise<KubeStandIn> {
  return startKubeStandIn({
    ...options,
    rbac: {
      objects: deployObjects('rbac.yaml', 'controller.yaml'),
      tokens: { [CONTROLLER_TOKEN]: { namespace: 'ringmaster', serviceAccount: 'ringmaster' } },
    },
  });
}

/** The cluster and health ports of cluster `eu-1`, reaching `kube` as the controller's service account. */
export function kubePorts(kube: KubeStandIn, istio: IstioApiVersion = 'networking.istio.io/v1') {
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig({ context: 'eu-1', token: CONTROLLER_TOKEN }));
  const api = kubeApi(KubernetesObjectApi.makeApiClient(kc), 'eu-1');
  const options = {
    clusterApi: (name: string) => {
      if (name !== 'eu-1') throw new Error(`unknown cluster ${name}`);
      return api;
    },
    istioApiVersion: istio,
  };
  return { cluster: kubernetesCluster(options), health: kubernetesHealth(options) };
}

/**
 * Writes, in the state folder `state`, a kubeconfig reaching `kube` as the
 * controller's service account (context `eu`) and `providers.yaml` mapping
 * cluster eu-1 to it, with a look at rollouts every five seconds; returns the
 * providers file's path.
 */
export async function writeProviders(state: string, kube: KubeStandIn): Promise<string> {
  await writeFile(join(state, 'kubeconfig'), kube.kubeconfig({ context: 'eu', token: CONTROLLER_TOKEN }));
  const path = join(state, 'providers.yaml');
  await writeFile(
    path,
    [
      'apiVersion: ringmaster/v1',
      'kind: Providers',
      'ports: { cluster: kubernetes, health: kubernetes }',
      'clusters:',
      '  eu-1: { context: eu, kubeconfig: kubeconfig }',
      'kubernetes: { pollSeconds: 5 }',
      '',
    ].join('\n'),
  );
  return path;
}
