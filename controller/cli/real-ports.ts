/**
 * The real adapters the providers file chooses, put in place of the sim's
 * ports: Kubernetes (cluster, health), AWS (databases, secrets, one client per
 * service and region, made on first use) and Prometheus (metrics). Each is
 * imported only when chosen: the clients are large, and the embedded default
 * has no need of them.
 */
import { ConfigurationError } from '../errors.js';
import type { Providers } from '../providers/ports.js';
import type { ProvidersConfig } from '../providers/providers-file.js';
import type { CliContext } from './context.js';

/** The sim ports with the ports `config` gives to real adapters put in their place. */
export async function withRealPorts(
  sim: Providers,
  config: ProvidersConfig,
  ctx: CliContext,
): Promise<Providers> {
  // One after another: Jest's ESM loader fails concurrent imports that share a module, and nothing is gained here.
  const kubernetes = await kubernetesPorts(config, ctx);
  const aws = await awsPorts(config, ctx);
  const metrics =
    config.ports.metrics === 'prometheus' && config.prometheus
      ? (await import('../providers/prometheus/metrics.js')).prometheusMetrics(config.prometheus)
      : undefined;
  const close = async (options?: { compact?: boolean }) => {
    aws?.close();
    await sim.close?.(options);
  };
  return {
    ...sim,
    ...kubernetes,
    ...(aws?.database ? { database: aws.database } : {}),
    ...(aws?.secrets ? { secrets: aws.secrets } : {}),
    ...(metrics ? { metrics } : {}),
    close,
  };
}

async function kubernetesPorts(
  config: ProvidersConfig,
  ctx: CliContext,
): Promise<Partial<Pick<Providers, 'cluster' | 'health'>>> {
  if (config.ports.cluster !== 'kubernetes') return {};
  // Loaded only when used: the Kubernetes client is large, and the embedded default has no need of it.
  const [{ openKubeClusters }, { kubernetesCluster, kubernetesHealth }] = await Promise.all([
    import('./kubernetes-options.js'),
    import('../providers/kubernetes/cluster.js'),
  ]);
  const kubernetes = {
    clusterApi: openKubeClusters(config, ctx.env),
    istioApiVersion: config.istioApiVersion,
  };
  return {
    cluster: kubernetesCluster(kubernetes),
    ...(config.ports.health === 'kubernetes' ? { health: kubernetesHealth(kubernetes) } : {}),
  };
}

/** The AWS adapters `config` asks for, on one client per service and region (made on first use). */
async function awsPorts(
  config: ProvidersConfig,
  ctx: CliContext,
): Promise<(Partial<Pick<Providers, 'database' | 'secrets'>> & { close(): void }) | undefined> {
  const { database, secrets } = config.ports;
  if (database !== 'aws' && secrets !== 'aws') return undefined;
  const region = config.awsRegion ?? ctx.env.awsRegion;
  if (!region) {
    throw new ConfigurationError(
      'NoAwsRegion',
      `providers file ${config.file} uses AWS but names no region; add aws: { region: eu-west-1 } or set AWS_REGION`,
    );
  }
  // Loaded only when used, like the Kubernetes client.
  const { regionClients } = await import('../providers/aws/clients.js');
  const rds =
    database === 'aws'
      ? ([await import('@aws-sdk/client-rds'), await import('../providers/aws/rds.js')] as const)
      : undefined;
  const sm =
    secrets === 'aws'
      ? ([
          await import('@aws-sdk/client-secrets-manager'),
          await import('../providers/aws/secrets-manager.js'),
        ] as const)
      : undefined;
  const rdsClients = rds && regionClients((r) => new rds[0].RDSClient({ region: r }));
  const smClients = sm && regionClients((r) => new sm[0].SecretsManagerClient({ region: r }));
  return {
    ...(rds && rdsClients ? { database: rds[1].awsDatabase(rdsClients, region) } : {}),
    ...(sm && smClients ? { secrets: sm[1].awsSecrets(smClients, region) } : {}),
    close() {
      rdsClients?.close();
      smClients?.close();
    },
  };
}
