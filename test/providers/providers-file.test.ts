import { DiagnosticSink, formatDiagnostic } from '../../controller/model/diagnostics.js';
import { checkClusters, parseProvidersFile } from '../../controller/providers/providers-file.js';
import { createSchemaValidator } from '../../controller/schema/validator.js';
import { loadFixture } from '../helpers/constellation.js';

const validator = createSchemaValidator('schemas');
const FILE = '/etc/ringmaster/providers.yaml';

function parse(text: string) {
  const sink = new DiagnosticSink();
  const config = parseProvidersFile(FILE, Buffer.from(text), validator, sink);
  return { config, findings: sink.sorted().map(formatDiagnostic) };
}

const HEAD = 'apiVersion: ringmaster/v1\nkind: Providers\n';

describe('the providers file', () => {
  it('reads clusters, ports and the Istio API, with defaults', () => {
    const { config, findings } = parse(
      `${HEAD}clusters:\n  prod-eu-1: { context: eu, kubeconfig: kube/config }\n  local: { inCluster: true }\n`,
    );
    expect(findings).toEqual([]);
    expect(config!.ports).toEqual({
      cluster: 'kubernetes',
      health: 'kubernetes',
      database: 'sim',
      secrets: 'sim',
      metrics: 'sim',
    });
    expect(config!.istioApiVersion).toBe('networking.istio.io/v1');
    expect(config!.pollMs).toBe(10_000);
    // A relative kubeconfig is anchored at the providers file.
    expect(config!.clusters.get('prod-eu-1')).toEqual({
      name: 'prod-eu-1',
      context: 'eu',
      kubeconfig: '/etc/ringmaster/kube/config',
      inCluster: false,
    });
    expect(config!.clusters.get('local')).toEqual({ name: 'local', inCluster: true });
  });

  it('takes v1beta1 and a poll interval', () => {
    const { config } = parse(
      `${HEAD}clusters: { a: {} }\nistio: { apiVersion: networking.istio.io/v1beta1 }\nkubernetes: { pollSeconds: 2 }\n`,
    );
    expect(config!.istioApiVersion).toBe('networking.istio.io/v1beta1');
    expect(config!.pollMs).toBe(2000);
  });

  it('chooses AWS and Prometheus, with a default region and the server', () => {
    const { config, findings } = parse(
      `${HEAD}ports: { database: aws, secrets: aws }\nclusters: { a: {} }\naws: { region: eu-west-1 }\n` +
        'prometheus: { url: "http://prometheus.monitoring:9090/", timeoutSeconds: 5 }\n',
    );
    expect(findings).toEqual([]);
    expect(config!.ports).toMatchObject({ database: 'aws', secrets: 'aws', metrics: 'prometheus' });
    expect(config!.awsRegion).toBe('eu-west-1');
    expect(config!.prometheus).toEqual({ url: 'http://prometheus.monitoring:9090', timeoutMs: 5000 });
    expect(parse(`${HEAD}clusters: { a: {} }\nports: { metrics: prometheus }\n`).findings).toEqual([
      expect.stringMatching(
        /:4:19: metrics: prometheus needs the server; add prometheus: .*\[prometheus-needs-url\]$/,
      ),
    ]);
    expect(parse(`${HEAD}clusters: { a: {} }\naws: { region: Ireland }\n`).findings).toEqual([
      expect.stringMatching(/:4:16: .*pattern/),
    ]);
  });

  it('reads console link templates, and reports a placeholder it does not know at its place', () => {
    const { config } = parse(
      `${HEAD}ports: { cluster: sim }\nconsoles:\n  - { name: Grafana, url: "https://g.example/d?ns={namespace}&c={cluster}" }\n`,
    );
    expect(config!.consoles).toEqual([
      { name: 'Grafana', url: 'https://g.example/d?ns={namespace}&c={cluster}' },
    ]);
    expect(
      parse(
        `${HEAD}ports: { cluster: sim }\nconsoles:\n  - name: Kibana\n    url: "https://k.example/?q={tenant}"\n`,
      ).findings,
    ).toEqual([
      expect.stringMatching(
        /:6:10: console Kibana: \{tenant\} is not a placeholder; use \{group\}, \{ring\}, .*\[unknown-console-placeholder\]$/,
      ),
    ]);
    expect(
      parse(`${HEAD}ports: { cluster: sim }\nconsoles: [{ name: x, url: "ftp://x" }]\n`).findings,
    ).toEqual([expect.stringMatching(/pattern/)]);
  });

  it('reports schema errors at their place', () => {
    const { config, findings } = parse(
      `${HEAD}clusters:\n  prod-eu-1: { contxt: eu }\nistio: { apiVersion: v2 }\n`,
    );
    expect(config).toBeUndefined();
    expect(findings).toEqual([
      expect.stringMatching(/^\/etc\/ringmaster\/providers\.yaml:4:16: .*contxt/),
      expect.stringMatching(/^\/etc\/ringmaster\/providers\.yaml:5:22: .*v2.*networking\.istio\.io\/v1/),
    ]);
  });

  it('refuses what the schema cannot say: inCluster with a kubeconfig, no clusters, health apart from the cluster', () => {
    expect(parse(`${HEAD}clusters:\n  a: { inCluster: true, context: x }\n`).findings).toEqual([
      expect.stringMatching(
        /:4:8: cluster a: inCluster uses the service account .*\[in-cluster-with-kubeconfig\]$/,
      ),
    ]);
    expect(parse(HEAD).findings).toEqual([
      expect.stringMatching(/:1:1: ports\.cluster is kubernetes but no cluster is listed.*\[no-clusters\]$/),
    ]);
    expect(parse(`${HEAD}ports: { cluster: sim, health: kubernetes }\n`).findings).toEqual([
      expect.stringMatching(
        /:3:32: health: kubernetes checks .* ports\.cluster is sim; make them the same \[health-needs-cluster\]$/,
      ),
    ]);
    expect(parse(`${HEAD}ports: { cluster: sim }\n`).config!.ports.health).toBe('sim');
  });

  it('locates each group whose cluster the file does not list at its resources.cluster', async () => {
    // The example constellation of this repository spreads its groups over two clusters.
    const constellation = await loadFixture('.');
    const clusters = [...new Set([...constellation.groups.values()].map((g) => g.resources.cluster))].sort();
    const { config } = parse(`${HEAD}clusters:\n  ${clusters[0]}: {}\n`);
    const sink = new DiagnosticSink();
    checkClusters(constellation, config!, sink);
    const missing = [...constellation.groups.values()].filter((g) => g.resources.cluster !== clusters[0]);
    expect(missing.length).toBeGreaterThan(0);
    expect(sink.sorted().map((d) => [d.file, d.rule])).toEqual(
      missing.map((g) => [g.file, 'unknown-cluster']).sort(),
    );
    for (const d of sink.items) {
      const line = constellation.files.get(d.file)!.text.split('\n')[d.line - 1]!;
      expect(line.slice(d.column - 1)).toMatch(/^[-a-z0-9]+/);
      expect(line).toContain('cluster:');
    }
  });

  it('has nothing to say about clusters when they are simulated', async () => {
    const constellation = await loadFixture('test/fixtures/base');
    const sink = new DiagnosticSink();
    checkClusters(constellation, parse(`${HEAD}ports: { cluster: sim }\n`).config!, sink);
    expect(sink.items).toEqual([]);
  });
});
