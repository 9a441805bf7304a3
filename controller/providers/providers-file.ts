/**
 * The providers file (`--providers FILE`, kind `Providers`): which adapter
 * serves each port, how to reach each cluster the groups name, which Istio
 * API to use, the default AWS region and the Prometheus server. It lives with the controller's deployment, not in the
 * repository's groups/, and is checked like every other file: the schema,
 * then the rules the schema cannot say, each finding at file:line:column.
 *
 * ```yaml
 * apiVersion: ringmaster/v1
 * kind: Providers
 * ports: { cluster: kubernetes, health: kubernetes, database: aws, secrets: aws, metrics: prometheus }
 * clusters:
 *   prod-eu-1: { context: prod-eu-1 }          # a context of KUBECONFIG or ~/.kube/config
 *   local: { inCluster: true }                 # the cluster the controller runs in
 * istio: { apiVersion: networking.istio.io/v1 }
 * aws: { region: eu-west-1 }                   # where a group's database names no region
 * prometheus: { url: "http://prometheus.monitoring:9090" }
 * consoles:                                    # links from each group's page (see providers/consoles.ts)
 *   - { name: Grafana, url: "https://grafana.example.com/d/tenants?var-namespace={namespace}" }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { DiagnosticSink, atFileStart, formatDiagnostic } from '../model/diagnostics.js';
import { DEFAULT_PARSE_LIMITS, type ParsedFile, locate, parseYamlFile } from '../model/parse.js';
import type { Constellation } from '../model/types.js';
import type { SchemaValidator } from '../schema/validator.js';
import { CONSOLE_PLACEHOLDERS, type ConsoleTemplate, unknownPlaceholders } from './consoles.js';

/** The Istio APIs the traffic adapter can write. */
export type IstioApiVersion = 'networking.istio.io/v1' | 'networking.istio.io/v1beta1';

/** How to reach one cluster. */
export interface ClusterAccess {
  readonly name: string;
  /** The kubeconfig context; undefined means the kubeconfig's current context. */
  readonly context?: string;
  /** The kubeconfig file, absolute; undefined means KUBECONFIG, else ~/.kube/config. */
  readonly kubeconfig?: string;
  /** The cluster the controller runs in, through its service account. */
  readonly inCluster: boolean;
}

/** The adapters chosen for each port. */
export interface PortChoice {
  readonly cluster: 'kubernetes' | 'sim';
  readonly health: 'kubernetes' | 'sim';
  readonly database: 'aws' | 'sim';
  readonly secrets: 'aws' | 'sim';
  readonly metrics: 'prometheus' | 'sim';
}

/** The providers file, read and checked; defaults applied. */
export interface ProvidersConfig {
  /** The file it was read from; undefined for the embedded default (everything sim). */
  readonly file?: string;
  readonly ports: PortChoice;
  readonly clusters: ReadonlyMap<string, ClusterAccess>;
  readonly istioApiVersion: IstioApiVersion;
  /** Time between two journaled looks at a rollout or Job under way, in milliseconds of the controller's clock. */
  readonly pollMs: number;
  /** The region of databases and secrets whose group names none; undefined: AWS_REGION. */
  readonly awsRegion?: string;
  /** The Prometheus server of the health analysis. */
  readonly prometheus?: { readonly url: string; readonly timeoutMs: number };
  /** Templates of the links from each group's page to its consoles. */
  readonly consoles: readonly ConsoleTemplate[];
}

/** Without --providers: every port simulated, as in the embedded default. */
export const SIM_PROVIDERS: ProvidersConfig = Object.freeze({
  ports: Object.freeze({
    cluster: 'sim',
    health: 'sim',
    database: 'sim',
    secrets: 'sim',
    metrics: 'sim',
  } as const),
  clusters: new Map(),
  istioApiVersion: 'networking.istio.io/v1',
  pollMs: 10_000,
  consoles: [],
});

/**
 * Reads and checks the providers file at `path`. Throws ConfigurationError
 * when it is missing or unreadable, or (one finding per line) invalid.
 */
export async function loadProvidersFile(path: string, validator: SchemaValidator): Promise<ProvidersConfig> {
  const bytes = await readProvidersFile(path);
  const sink = new DiagnosticSink();
  const config = parseProvidersFile(path, bytes, validator, sink);
  if (!config || sink.hasErrors())
    throw new ConfigurationError('InvalidProvidersFile', sink.sorted().map(formatDiagnostic).join('\n'));
  return config;
}

/** The bytes of the providers file at `path`. Throws ConfigurationError when it is missing or unreadable. */
export async function readProvidersFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${String(code)})`;
    throw new ConfigurationError(
      'ProvidersFileUnreadable',
      `providers file ${path} ${what}; check --providers`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Parses and checks the bytes of a providers file; `path` names it in
 * findings and anchors relative kubeconfig paths. Reports to `sink`; returns
 * undefined when the file cannot be used.
 */
export function parseProvidersFile(
  path: string,
  bytes: Buffer,
  validator: SchemaValidator,
  sink: DiagnosticSink,
): ProvidersConfig | undefined {
  if (bytes.length > DEFAULT_PARSE_LIMITS.maxFileBytes) {
    sink.error(
      atFileStart(path),
      'file-too-large',
      `file is ${bytes.length} bytes, over the limit of ${DEFAULT_PARSE_LIMITS.maxFileBytes}`,
    );
    return undefined;
  }
  const file = parseYamlFile(path, bytes, DEFAULT_PARSE_LIMITS, sink);
  if (!file || !validator.validate('Providers', file, sink)) return undefined;
  return build(file, sink);
}

interface ProvidersData {
  ports?: Partial<PortChoice>;
  clusters?: Record<string, { context?: string; kubeconfig?: string; inCluster?: boolean }>;
  istio?: { apiVersion?: IstioApiVersion };
  kubernetes?: { pollSeconds?: number };
  aws?: { region?: string };
  prometheus?: { url: string; timeoutSeconds?: number };
  consoles?: ConsoleTemplate[];
}

/** The config of a schema-valid file, after the rules that span its parts. */
function build(file: ParsedFile, sink: DiagnosticSink): ProvidersConfig | undefined {
  const data = file.data as ProvidersData;
  const ports: PortChoice = {
    cluster: data.ports?.cluster ?? 'kubernetes',
    health: data.ports?.health ?? data.ports?.cluster ?? 'kubernetes',
    database: data.ports?.database ?? 'sim',
    secrets: data.ports?.secrets ?? 'sim',
    metrics: data.ports?.metrics ?? (data.prometheus ? 'prometheus' : 'sim'),
  };
  const before = sink.items.length;
  if (ports.metrics === 'prometheus' && !data.prometheus) {
    sink.error(
      locate(file, ['ports', 'metrics']),
      'prometheus-needs-url',
      'metrics: prometheus needs the server; add prometheus: { url: http://prometheus.monitoring:9090 }',
    );
  }
  if (ports.health !== ports.cluster) {
    sink.error(
      locate(file, ['ports', 'health']),
      'health-needs-cluster',
      `health: ${ports.health} checks the stacks the ${ports.health} cluster adapter makes, and ports.cluster is ${ports.cluster}; make them the same`,
    );
  }
  const clusters = new Map<string, ClusterAccess>();
  for (const [name, access] of Object.entries(data.clusters ?? {})) {
    if (access.inCluster && (access.context !== undefined || access.kubeconfig !== undefined)) {
      sink.error(
        locate(file, ['clusters', name, 'inCluster'], 'key'),
        'in-cluster-with-kubeconfig',
        `cluster ${name}: inCluster uses the service account and no kubeconfig; remove context and kubeconfig, or inCluster`,
      );
    }
    const kubeconfig =
      access.kubeconfig === undefined
        ? undefined
        : isAbsolute(access.kubeconfig)
          ? access.kubeconfig
          : resolve(dirname(file.path), access.kubeconfig);
    clusters.set(name, {
      name,
      inCluster: access.inCluster === true,
      ...(access.context === undefined ? {} : { context: access.context }),
      ...(kubeconfig === undefined ? {} : { kubeconfig }),
    });
  }
  if (ports.cluster === 'kubernetes' && clusters.size === 0) {
    sink.error(
      locate(file, data.clusters ? ['clusters'] : []),
      'no-clusters',
      'ports.cluster is kubernetes but no cluster is listed; add the clusters the groups name under clusters:, for example clusters: { prod-eu-1: { context: prod-eu-1 } }',
    );
  }
  (data.consoles ?? []).forEach((c, i) => {
    const unknown = unknownPlaceholders(c.url);
    if (unknown.length)
      sink.error(
        locate(file, ['consoles', i, 'url']),
        'unknown-console-placeholder',
        `console ${c.name}: {${unknown.join('}, {')}} is not a placeholder; use ${CONSOLE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
      );
  });
  if (sink.items.length > before) return undefined;
  return {
    file: file.path,
    ports,
    clusters,
    istioApiVersion: data.istio?.apiVersion ?? 'networking.istio.io/v1',
    pollMs: (data.kubernetes?.pollSeconds ?? 10) * 1000,
    ...(data.aws?.region ? { awsRegion: data.aws.region } : {}),
    ...(data.prometheus
      ? {
          prometheus: {
            url: data.prometheus.url.replace(/\/+$/, ''),
            timeoutMs: (data.prometheus.timeoutSeconds ?? 30) * 1000,
          },
        }
      : {}),
    consoles: (data.consoles ?? []).map((c) => ({ name: c.name, url: c.url })),
  };
}

/**
 * Reports each group of `constellation` whose cluster `config` cannot reach,
 * at the group's `resources.cluster`. Nothing to report when clusters are simulated.
 */
export function checkClusters(
  constellation: Constellation,
  config: ProvidersConfig,
  sink: DiagnosticSink,
): void {
  if (config.ports.cluster !== 'kubernetes') return;
  const known = [...config.clusters.keys()].sort().join(', ');
  for (const group of constellation.groups.values()) {
    if (config.clusters.has(group.resources.cluster)) continue;
    const file = constellation.files.get(group.file);
    const at = file ? locate(file, ['resources', 'cluster']) : atFileStart(group.file);
    sink.error(
      at,
      'unknown-cluster',
      `group "${group.name}" runs on cluster "${group.resources.cluster}", which providers file ${config.file} does not list (it lists ${known}); add it under clusters: or move the group`,
    );
  }
}
