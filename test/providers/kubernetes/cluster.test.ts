/**
 * The Kubernetes adapter against the API stand-in, through the real client
 * and as the controller's service account under deploy/rbac.yaml.
 */
import { ConfigurationError, PermanentError, TransientError } from '../../../controller/errors.js';
import type { CallContext, StackSpec } from '../../../controller/providers/ports.js';
import type { StepName } from '../../../controller/engine/step-names.js';
import type { KubeStandIn } from '../../fakes/kube/server.js';
import { deployObjects, kubePorts, startKubeWithRbac } from '../../helpers/kube.js';

const ctx = (step: StepName): CallContext => ({
  constellation: 'acme',
  group: 'globex',
  transition: 'globex@t1',
  step,
  attempt: 1,
});

function spec(color: 'blue' | 'green', release: string, tenants = ['globex']): StackSpec {
  return {
    cluster: 'eu-1',
    namespace: 'globex',
    color,
    release,
    schemaVersion: 410,
    services: {
      api: {
        image: `registry.example.com/acme/api:${release}`,
        replicas: 2,
        port: 8080,
        healthPath: '/healthz',
        route: '/api',
      },
      web: {
        image: `registry.example.com/acme/web:${release}`,
        replicas: 1,
        port: 3000,
        healthPath: '/health',
        route: '/',
      },
    },
    tenants: tenants.map((id) => ({
      id,
      host: `${id}.app.example.com`,
      language: 'en-GB',
      utcOffset: '+00:00',
    })),
    database: { instance: 'globex-db', engine: 'postgres' },
    secrets: ['prod/globex/db'],
  };
}

const HOSTS = ['globex.app.example.com'];
const names = (objects: { metadata: { name: string } }[]) => objects.map((o) => o.metadata.name).sort();

describe('the Kubernetes cluster adapter', () => {
  let kube: KubeStandIn;
  let ports: ReturnType<typeof kubePorts>;
  beforeEach(async () => {
    kube = await startKubeWithRbac({
      // Slow enough that a rollout is seen under way: the adapter's own reads advance it too.
      deploymentReadsPerStage: 3,
      imageBehaviour: (image) => (image.endsWith(':broken') ? 'never-pulls' : 'ok'),
      jobFails: (job) => JSON.stringify(job).includes('"fail"'),
    });
    ports = kubePorts(kube);
  });
  afterEach(() => kube.close());

  /** Reads the rollout until it is done; returns how many looks that took. */
  async function rolledOut(color: 'blue' | 'green'): Promise<number> {
    for (let looks = 1; looks <= 10; looks++) {
      if ((await ports.cluster.rolloutStatus(ctx('prepare'), 'eu-1', 'globex', color)).done) return looks;
    }
    throw new Error('never rolled out');
  }

  it('brings up a group, switches it to a new colour and retires the old one', async () => {
    expect(await ports.cluster.getActive(ctx('prepare'), 'eu-1', 'globex')).toBeUndefined();
    expect(await ports.cluster.ensureStack(ctx('prepare'), spec('blue', '2026.11.0'))).toBe('created');
    expect(await rolledOut('blue')).toBeGreaterThan(1);
    expect(await ports.cluster.ensureStack(ctx('prepare'), spec('blue', '2026.11.0'))).toBe('unchanged');
    expect(await ports.health.check(ctx('verify'), 'eu-1', 'globex', 'blue')).toEqual({ healthy: true });
    await ports.cluster.switchTraffic(ctx('cutover'), 'eu-1', 'globex', 'blue', HOSTS);
    expect(await ports.cluster.getActive(ctx('prepare'), 'eu-1', 'globex')).toEqual({
      color: 'blue',
      release: '2026.11.0',
    });

    expect(await ports.cluster.ensureStack(ctx('prepare'), spec('green', '2026.11.2'))).toBe('created');
    await rolledOut('green');
    await ports.cluster.switchTraffic(ctx('cutover'), 'eu-1', 'globex', 'green', HOSTS, 10);
    const split = kube.get('networking.istio.io/v1', 'VirtualService', 'globex', 'acme-globex')!;
    expect(
      (split.spec as { http: { route: { weight: number }[] }[] }).http[0]!.route.map((r) => r.weight),
    ).toEqual([10, 90]);
    // Most of the traffic still goes to blue: blue serves.
    expect((await ports.cluster.getActive(ctx('prepare'), 'eu-1', 'globex'))?.color).toBe('blue');
    await ports.cluster.switchTraffic(ctx('cutover'), 'eu-1', 'globex', 'green', HOSTS);
    expect(await ports.cluster.deleteStack(ctx('finalize'), 'eu-1', 'globex', 'blue')).toBe('deleted');

    expect(names(kube.list('apps/v1', 'Deployment', 'globex'))).toEqual([
      'acme-globex-api-green',
      'acme-globex-web-green',
    ]);
    expect(names(kube.list('v1', 'Service', 'globex'))).toEqual(['acme-globex-api', 'acme-globex-web']);
    expect(names(kube.list('networking.istio.io/v1', 'DestinationRule', 'globex'))).toEqual([
      'acme-globex-api',
      'acme-globex-web',
    ]);
    expect(names(kube.list('networking.istio.io/v1', 'VirtualService', 'globex'))).toEqual([
      'acme-globex',
      'acme-globex-api',
      'acme-globex-web',
    ]);
    const vs = kube.get('networking.istio.io/v1', 'VirtualService', 'globex', 'acme-globex')!;
    expect(vs.spec).toMatchObject({
      hosts: HOSTS,
      http: [
        {
          name: 'api',
          route: [{ destination: { host: 'acme-globex-api', subset: 'green' }, weight: 100 }, { weight: 0 }],
        },
        {
          name: 'web',
          route: [{ destination: { host: 'acme-globex-web', subset: 'green' }, weight: 100 }, { weight: 0 }],
        },
      ],
    });
    // Everything written as server-side apply by ringmaster.
    const writes = kube.requests.filter((r) => r.method === 'PATCH');
    expect(writes.length).toBeGreaterThan(0);
    expect(new Set(writes.map((r) => `${r.contentType} ${r.fieldManager}`))).toEqual(
      new Set(['application/apply-patch+yaml ringmaster']),
    );
  });

  it('reads what serves from the VirtualService alone, and from the Deployments where it does not say', async () => {
    await ports.cluster.ensureStack(ctx('prepare'), spec('blue', '2026.11.0'));
    await rolledOut('blue');
    await ports.cluster.switchTraffic(ctx('cutover'), 'eu-1', 'globex', 'blue', HOSTS);
    const vs = kube.get('networking.istio.io/v1', 'VirtualService', 'globex', 'acme-globex')!;
    expect(vs.metadata.annotations).toEqual({ 'ringmaster.io/release-blue': '2026.11.0' });
    const asked = () => kube.requests.map((r) => `${r.method} ${r.resource}${r.name ? '/' + r.name : ''}`);
    let before = kube.requests.length;
    expect(await ports.cluster.getActive(ctx('prepare'), 'eu-1', 'globex')).toEqual({
      color: 'blue',
      release: '2026.11.0',
    });
    expect(asked().slice(before)).toEqual(['GET virtualservices/acme-globex']);

    // As a controller before this annotation wrote it: the Deployments of the serving colour say.
    const { annotations: _named, ...metadata } = vs.metadata;
    kube.seed({ ...vs, metadata: { ...metadata, resourceVersion: undefined } }, { manager: 'ringmaster' });
    before = kube.requests.length;
    expect(await ports.cluster.getActive(ctx('prepare'), 'eu-1', 'globex')).toEqual({
      color: 'blue',
      release: '2026.11.0',
    });
    expect(asked().slice(before)).toEqual(['GET virtualservices/acme-globex', 'GET deployments']);

    // A switch short of half the traffic names the colour it switched to, not the one that serves.
    await ports.cluster.ensureStack(ctx('prepare'), spec('green', '2026.11.2'));
    await rolledOut('green');
    await ports.cluster.switchTraffic(ctx('cutover'), 'eu-1', 'globex', 'green', HOSTS, 10);
    expect(await ports.cluster.getActive(ctx('prepare'), 'eu-1', 'globex')).toEqual({
      color: 'blue',
      release: '2026.11.0',
    });
    await ports.cluster.switchTraffic(ctx('cutover'), 'eu-1', 'globex', 'green', HOSTS);
    expect(
      kube.get('networking.istio.io/v1', 'VirtualService', 'globex', 'acme-globex')!.metadata.annotations,
    ).toEqual({ 'ringmaster.io/release-green': '2026.11.2' });
    expect(await ports.cluster.getActive(ctx('prepare'), 'eu-1', 'globex')).toEqual({
      color: 'green',
      release: '2026.11.2',
    });
  });

  it('removes a group whole: routing, stacks, Services, rules, registry and Jobs', async () => {
    await ports.cluster.ensureStack(ctx('prepare'), spec('blue', '2026.11.0'));
    await ports.cluster.runJob(ctx('prepare'), {
      cluster: 'eu-1',
      namespace: 'globex',
      name: 'tenant-create-globex',
      template: { image: 'registry.example.com/acme/tools:1', command: ['create'] },
      env: { RINGMASTER_TENANT: 'globex' },
    });
    await ports.cluster.switchTraffic(ctx('cutover'), 'eu-1', 'globex', 'blue', HOSTS);
    await ports.cluster.stopTraffic(ctx('cutover'), 'eu-1', 'globex');
    await ports.cluster.deleteStack(ctx('finalize'), 'eu-1', 'globex', 'green');
    await ports.cluster.deleteStack(ctx('finalize'), 'eu-1', 'globex', 'blue');
    for (const [apiVersion, kind] of [
      ['apps/v1', 'Deployment'],
      ['v1', 'Service'],
      ['v1', 'ConfigMap'],
      ['batch/v1', 'Job'],
      ['networking.istio.io/v1', 'DestinationRule'],
      ['networking.istio.io/v1', 'VirtualService'],
    ] as const)
      expect([kind, kube.list(apiVersion, kind, 'globex')]).toEqual([kind, []]);
    // Every permission deploy/rbac.yaml grants was needed by this life of a group.
    const role = deployObjects('rbac.yaml').find((o) => (o as { kind: string }).kind === 'ClusterRole') as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const granted = role.rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}/${v}`))),
    );
    const used = kube.usedPermissions();
    expect(granted.filter((p) => !used.has(p))).toEqual([]);
  });

  it('fails a rollout that cannot finish, naming the Deployment', async () => {
    const broken = spec('blue', '2026.11.0');
    const s = {
      ...broken,
      services: {
        ...broken.services,
        api: { ...broken.services.api!, image: 'registry.example.com/acme/api:broken' },
      },
    };
    await ports.cluster.ensureStack(ctx('prepare'), s);
    let error: unknown;
    for (let look = 0; look < 10 && !error; look++)
      await ports.cluster
        .rolloutStatus(ctx('prepare'), 'eu-1', 'globex', 'blue')
        .catch((err: unknown) => (error = err));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).message).toMatch(
      /blue stack of group globex will not come up: deployment acme-globex-api-blue exceeded its progress deadline: ReplicaSet ".*" has timed out progressing\./,
    );
    expect((await ports.health.check(ctx('verify'), 'eu-1', 'globex', 'blue')).healthy).toBe(false);
  });

  it('never touches a same-named object it does not own', async () => {
    const foreign = kube.seed({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'acme-globex-api-blue', namespace: 'globex', labels: { app: 'legacy' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'legacy' } },
        template: {
          metadata: { labels: { app: 'legacy' } },
          spec: { containers: [{ name: 'c', image: 'legacy:1' }] },
        },
      },
    });
    const error = await ports.cluster
      .ensureStack(ctx('prepare'), spec('blue', '2026.11.0'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(
      /^Deployment globex\/acme-globex-api-blue is not managed by ringmaster for acme \(group globex\)/,
    );
    // Refused before anything was written: no part of the stack to undo, and the foreign object stays.
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(await ports.cluster.deleteStack(ctx('prepare'), 'eu-1', 'globex', 'blue')).toBe('absent');
    // (Its status moves as it is read, as a real controller's would: compare what a writer would change.)
    const after = kube.get('apps/v1', 'Deployment', 'globex', 'acme-globex-api-blue')!;
    expect([after.metadata.generation, after.metadata.labels, after.spec]).toEqual([
      foreign.metadata.generation,
      { app: 'legacy' },
      foreign.spec,
    ]);
    expect(
      kube.requests.filter((r) => r.method !== 'GET' && r.path.endsWith('/acme-globex-api-blue')),
    ).toEqual([]);
  });

  it('changes the tenant registry without touching a pod template', async () => {
    await ports.cluster.ensureStack(ctx('prepare'), spec('blue', '2026.11.0'));
    const before = kube
      .list('apps/v1', 'Deployment', 'globex')
      .map((d) => [d.metadata.name, d.metadata.generation, JSON.stringify(d.spec)]);
    const s = spec('blue', '2026.11.0', ['globex', 'umbrella']);
    expect(await ports.cluster.ensureTenants(ctx('prepare'), s)).toBe('updated');
    const registry = kube.get('v1', 'ConfigMap', 'globex', 'acme-globex-tenants')!;
    expect(
      JSON.parse((registry.data as Record<string, string>)['tenants.json']!).tenants.map(
        (t: { id: string }) => t.id,
      ),
    ).toEqual(['globex', 'umbrella']);
    expect(
      kube
        .list('apps/v1', 'Deployment', 'globex')
        .map((d) => [d.metadata.name, d.metadata.generation, JSON.stringify(d.spec)]),
    ).toEqual(before);
  });

  it('runs a Job once, reports it while it runs, and fails with its reason', async () => {
    const job = (name: string, command: string[]) => ({
      cluster: 'eu-1',
      namespace: 'globex',
      name,
      template: { image: 'registry.example.com/acme/tools:1', command },
      env: { RINGMASTER_SCHEMA_VERSION: '412' },
    });
    const states = [];
    for (let look = 0; look < 4; look++)
      states.push(await ports.cluster.runJob(ctx('prepare'), job('migrate-412', ['migrate'])));
    expect(states[0]).toEqual({
      done: false,
      message: expect.stringMatching(/^job acme-globex-migrate-412: /),
    });
    expect(states.at(-1)).toEqual({ done: true });
    expect(kube.requests.filter((r) => r.method !== 'GET' && r.path.includes('/jobs'))).toHaveLength(1);
    const failed = await (async () => {
      for (let look = 0; look < 4; look++)
        await ports.cluster.runJob(ctx('prepare'), job('migrate-413', ['fail']));
    })().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PermanentError);
    expect((failed as Error).message).toMatch(
      /^job acme-globex-migrate-413 failed: BackoffLimitExceeded: Job has reached the specified backoff limit/,
    );
  });

  it('types the API errors: server trouble is transient, a missing permission is configuration', async () => {
    kube.failNext({ method: 'GET' }, 503);
    const transient = await ports.cluster
      .checkAccess(ctx('validate'), 'eu-1', 'globex')
      .catch((e: unknown) => e);
    expect(transient).toBeInstanceOf(TransientError);
    expect((transient as Error).message).toMatch(
      /^listing Deployment in globex in cluster eu-1 failed \(503\)/,
    );
    kube.failNext({ method: 'GET' }, 403);
    const forbidden = await ports.cluster
      .checkAccess(ctx('validate'), 'eu-1', 'globex')
      .catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ConfigurationError);
    expect((forbidden as Error).message).toMatch(/refused \(403\).*deploy\/rbac\.yaml/);
  });
});
