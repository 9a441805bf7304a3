import * as k8s from '@kubernetes/client-node';
import { type KubeStandIn, type KubeStandInOptions, startKubeStandIn } from './kube/server.js';
import {
  clientsFor,
  deployment,
  destinationRule,
  failure,
  rolloutStatus,
  virtualService,
  watchEvents,
} from './kube/test-client.js';

const namespace = 'prod';
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const SSA = k8s.PatchStrategy.ServerSideApply;
/** The CustomObjectsApi parameters of an Istio resource in namespace prod. */
const at = (version: string, plural: string) => ({
  group: 'networking.istio.io',
  namespace,
  version,
  plural,
});

describe('Kubernetes stand-in: objects, errors and concurrency', () => {
  let kube: KubeStandIn;
  const start = async (options: KubeStandInOptions = {}) => (kube = await startKubeStandIn(options));
  afterEach(() => kube.close());

  it('creates, gets and lists with label and field selectors', async () => {
    const { core } = clientsFor(await start());
    for (const [name, tier] of [
      ['a', 'web'],
      ['b', 'api'],
      ['c', undefined],
    ] as const) {
      const labels: Record<string, string> = tier ? { tier, app: 'shop' } : { app: 'shop' };
      await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name, labels }, data: { k: name } },
      });
    }
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await core.listNamespacedConfigMap({ namespace, labelSelector, fieldSelector })).items.map(
        (i) => i.metadata?.name,
      );
    expect(await names('tier=web')).toEqual(['a']);
    expect(await names('tier!=web')).toEqual(['b', 'c']);
    expect(await names('tier in (web,api),app=shop')).toEqual(['a', 'b']);
    expect(await names('tier notin (web)')).toEqual(['b', 'c']);
    expect(await names('tier')).toEqual(['a', 'b']);
    expect(await names('!tier')).toEqual(['c']);
    expect(await names(undefined, 'metadata.name=b')).toEqual(['b']);
    const got = await core.readNamespacedConfigMap({ name: 'a', namespace });
    expect(got).toMatchObject({ data: { k: 'a' }, metadata: { generation: 1, namespace } });
    const list = await core.listNamespacedConfigMap({ namespace });
    expect(list.kind).toBe('ConfigMapList');
    expect(list.metadata?.resourceVersion).toBe('3');
    expect(kube.requests.filter((r) => r.verb === 'list')).toHaveLength(8);
  });

  it('answers a missing object 404 and a second create 409 AlreadyExists with Status bodies', async () => {
    const { apps } = clientsFor(await start());
    expect(await failure(apps.readNamespacedDeployment({ name: 'web', namespace }))).toEqual({
      code: 404,
      status: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'deployments.apps "web" not found',
        reason: 'NotFound',
        details: { name: 'web', group: 'apps', kind: 'deployments' },
        code: 404,
      },
    });
    await apps.createNamespacedDeployment({ namespace, body: deployment('web') });
    const again = await failure(apps.createNamespacedDeployment({ namespace, body: deployment('web') }));
    expect(again.status).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'deployments.apps "web" already exists',
    });
  });

  it('refuses a PUT with a stale resourceVersion with 409 Conflict and takes one without as unconditional', async () => {
    const { core } = clientsFor(await start());
    const created = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'cfg' }, data: { a: '1' } },
    });
    await core.replaceNamespacedConfigMap({ name: 'cfg', namespace, body: { ...created, data: { a: '2' } } });
    const stale = await failure(
      core.replaceNamespacedConfigMap({ name: 'cfg', namespace, body: { ...created, data: { a: '3' } } }),
    );
    expect(stale.status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'cfg', kind: 'configmaps' },
    });
    const body = { metadata: { name: 'cfg' }, data: { a: '4' } };
    expect((await core.replaceNamespacedConfigMap({ name: 'cfg', namespace, body })).data).toEqual({
      a: '4',
    });
  });

  it('bumps generation only on spec changes, resourceVersion on every change but a no-op', async () => {
    const { apps } = clientsFor(await start());
    const created = await apps.createNamespacedDeployment({ namespace, body: deployment('web') });
    const seen = () => kube.get('apps/v1', 'Deployment', namespace, 'web')?.metadata;
    const patchWith = (body: object) =>
      apps.patchNamespacedDeployment({ name: 'web', namespace, body }, MERGE);
    await patchWith({ metadata: { labels: { team: 'blue' } } });
    expect(seen()).toMatchObject({ generation: 1, resourceVersion: '2' });
    const current = { ...created.metadata, resourceVersion: undefined };
    const status = { ...created, metadata: current, status: { observedGeneration: 1, replicas: 2 } };
    await apps.replaceNamespacedDeploymentStatus({ name: 'web', namespace, body: status });
    expect(seen()).toMatchObject({ generation: 1, resourceVersion: '3' });
    await patchWith({ spec: { replicas: 3 } });
    expect(seen()).toMatchObject({ generation: 2, resourceVersion: '4' });
    await patchWith({ spec: { replicas: 3 } });
    await apps.patchNamespacedDeployment({
      name: 'web',
      namespace,
      body: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    });
    expect(seen()).toMatchObject({ generation: 2, resourceVersion: '4' });
    expect(kube.requests.at(-1)).toMatchObject({ contentType: 'application/json-patch+json', status: 200 });
  });

  it('answers 422 Invalid from the models and the apiserver checks', async () => {
    const { objects, core } = clientsFor(await start());
    const bad = deployment('web') as k8s.KubernetesObject & { spec: object };
    bad.spec = { ...bad.spec, replicas: 'x' };
    const res = await failure(objects.create(bad));
    expect(res.status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: "x": must be integer',
      details: {
        name: 'web',
        group: 'apps',
        kind: 'Deployment',
        causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas' }],
      },
    });
    const big = { metadata: { name: 'big' }, data: { blob: 'x'.repeat(1024 * 1024 + 1) } };
    expect((await failure(core.createNamespacedConfigMap({ namespace, body: big }))).status.message).toBe(
      'ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes',
    );
    await objects.create(deployment('api'));
    const moved = {
      ...deployment('api'),
      spec: { ...deployment('api').spec, selector: { matchLabels: { app: 'x' } } },
    };
    const immutable = await failure(objects.replace(moved as k8s.KubernetesObject));
    expect(immutable.status.details?.causes?.map((c) => c.message)).toContainEqual(
      expect.stringContaining('field is immutable'),
    );
  });

  it('answers failNext rules with the Status of the injected code, then serves normally', async () => {
    const { apps } = clientsFor(await start());
    await apps.createNamespacedDeployment({ namespace, body: deployment('web') });
    kube.failNext({ method: 'GET', pathIncludes: '/deployments/web' }, 500);
    expect(await failure(apps.readNamespacedDeployment({ name: 'web', namespace }))).toMatchObject({
      code: 500,
      status: { reason: 'InternalError', message: 'Internal error occurred: injected failure', code: 500 },
    });
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace })).metadata?.name).toBe('web');
  });

  it('refuses Lease times without 6 fractional digits with 400, as the apiserver decodes MicroTime', async () => {
    const { coord, custom } = clientsFor(await start());
    const spec = {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      renewTime: new k8s.V1MicroTime('2026-08-11T19:37:19.103Z'),
    };
    await coord.createNamespacedLease({ namespace, body: { metadata: { name: 'ok' }, spec } });
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'bad' },
      spec: { renewTime: '2026-08-11T19:37:19.103Z' },
    };
    const res = await failure(
      custom.createNamespacedCustomObject({
        group: 'coordination.k8s.io',
        version: 'v1',
        namespace,
        plural: 'leases',
        body,
      }),
    );
    expect(res.status).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(res.status.message).toContain('cannot parse ".103Z" as ".000000"');
  });
});

describe('Kubernetes stand-in: server-side apply', () => {
  let kube: KubeStandIn;
  beforeEach(async () => (kube = await startKubeStandIn()));
  afterEach(() => kube.close());

  it('creates with 201 after discovery, and a second identical apply changes nothing', async () => {
    const { objects } = clientsFor(kube);
    const first = await objects.patch(deployment('web'), undefined, undefined, 'ringmaster', undefined, SSA);
    const second = await objects.patch(deployment('web'), undefined, undefined, 'ringmaster', undefined, SSA);
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(kube.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /apis/apps/v1 200',
      'PATCH /apis/apps/v1/namespaces/prod/deployments/web 201',
      'PATCH /apis/apps/v1/namespaces/prod/deployments/web 200',
    ]);
    expect(second.metadata?.managedFields).toEqual([
      expect.objectContaining({ manager: 'ringmaster', operation: 'Apply' }),
    ]);
  });

  it('refuses a changed field another manager owns with 409 naming it, and moves ownership with force', async () => {
    const { objects, apps } = clientsFor(kube);
    await objects.patch(deployment('web'), undefined, undefined, 'ringmaster', undefined, SSA);
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace, fieldManager: 'kubectl-edit', body: { spec: { replicas: 5 } } },
      MERGE,
    );
    const res = await failure(
      objects.patch(deployment('web', 'nginx:1.28'), undefined, undefined, 'ringmaster', false, SSA),
    );
    expect(res.status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-edit" using apps/v1',
            field: '.spec.replicas',
          },
        ],
      },
    });
    const forced = await objects.patch(
      deployment('web', 'nginx:1.28'),
      undefined,
      undefined,
      'ringmaster',
      true,
      SSA,
    );
    expect(forced.spec?.replicas).toBe(2);
    expect(forced.metadata?.managedFields?.map((m) => m.manager)).toEqual(['ringmaster']);
    const other = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace, labels: { tier: 'web' } },
    };
    await objects.patch(other, undefined, undefined, 'a', undefined, SSA);
    const clash = await failure(
      objects.patch(
        { ...other, metadata: { ...other.metadata, labels: { tier: 'api' } } },
        undefined,
        undefined,
        'b',
        undefined,
        SSA,
      ),
    );
    expect(clash.status.message).toBe(
      'Apply failed with 1 conflict: conflict with "a": .metadata.labels.tier',
    );
  });

  it('prunes a field the manager applied before and now omits, but not one another manager set', async () => {
    const { objects, core } = clientsFor(kube);
    const cm = (data: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace },
      data,
    });
    await objects.patch(cm({ a: '1', b: '2' }), undefined, undefined, 'ringmaster', undefined, SSA);
    await core.patchNamespacedConfigMap(
      { name: 'cfg', namespace, fieldManager: 'ops', body: { data: { c: '3' } } },
      MERGE,
    );
    const pruned = await objects.patch(cm({ a: '1' }), undefined, undefined, 'ringmaster', undefined, SSA);
    expect((pruned as k8s.V1ConfigMap).data).toEqual({ a: '1', c: '3' });
  });

  it('answers an apply without fieldManager 422, and strategic merge on an Istio object 415', async () => {
    const { apps, custom } = clientsFor(kube);
    const noManager = apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: deployment('web') },
      k8s.setHeaderOptions('Content-Type', SSA),
    );
    expect((await failure(noManager)).status).toMatchObject({
      code: 422,
      message:
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
    kube.seed({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'app', namespace },
      spec: { host: 'app' },
    });
    const smp = custom.patchNamespacedCustomObject(
      { ...at('v1', 'destinationrules'), name: 'app', body: { spec: { host: 'x' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect((await failure(smp)).status).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    });
  });
});

describe('Kubernetes stand-in: controllers', () => {
  let kube: KubeStandIn;
  afterEach(() => kube.close());

  it('rolls a Deployment out over reads until kubectl would say "successfully rolled out"', async () => {
    kube = await startKubeStandIn({ deploymentReadsPerStage: 1 });
    const { apps } = clientsFor(kube);
    const created = await apps.createNamespacedDeployment({ namespace, body: deployment('web') });
    const said = [rolloutStatus(created)];
    while (!said.at(-1)?.includes('rolled out'))
      said.push(rolloutStatus(await apps.readNamespacedDeployment({ name: 'web', namespace })));
    expect(said).toEqual([
      'Waiting for deployment spec update to be observed...',
      '0 of 2 updated replicas are available',
      'deployment "web" successfully rolled out',
    ]);
    const done = kube.get('apps/v1', 'Deployment', namespace, 'web');
    expect(done?.status).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    expect(done?.metadata.managedFields?.map((m) => [m.manager, m.subresource])).toContainEqual([
      'kube-controller-manager',
      'status',
    ]);
  });

  it('lets a Deployment whose image never pulls exceed its progress deadline after three stages of reads', async () => {
    kube = await startKubeStandIn({
      deploymentReadsPerStage: 2,
      imageBehaviour: (image) => (image.endsWith(':broken') ? 'never-pulls' : 'ok'),
    });
    const { apps } = clientsFor(kube);
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 'nginx:broken') });
    const said: string[] = [];
    for (let i = 0; i < 6; i++) {
      const list = await apps.listNamespacedDeployment({ namespace });
      said.push(rolloutStatus(list.items[0] ?? {}));
    }
    expect(said).toEqual([
      'Waiting for deployment spec update to be observed...',
      ...Array<string>(4).fill('0 of 2 updated replicas are available'),
      'error: deployment "web" exceeded its progress deadline',
    ]);
    const progressing = kube.get('apps/v1', 'Deployment', namespace, 'web')?.status as {
      conditions: { type: string; message: string }[];
    };
    expect(progressing.conditions.find((c) => c.type === 'Progressing')?.message).toMatch(
      /^ReplicaSet "web-[a-z0-9]{10}" has timed out progressing\.$/,
    );
  });

  it('completes a Job after its reads, and fails one jobFails picks with BackoffLimitExceeded', async () => {
    kube = await startKubeStandIn({
      jobReadsToFinish: 2,
      jobFails: (job) => JSON.stringify(job).includes('exit 1'),
    });
    const { batch } = clientsFor(kube);
    const job = (name: string, command: string[]): k8s.V1Job => ({
      metadata: { name },
      spec: {
        backoffLimit: 2,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'migrate:1', command }] },
        },
      },
    });
    await batch.createNamespacedJob({ namespace, body: job('ok', ['true']) });
    await batch.createNamespacedJob({ namespace, body: job('bad', ['sh', '-c', 'exit 1']) });
    const read = (name: string) => batch.readNamespacedJobStatus({ name, namespace });
    expect((await read('ok')).status).toMatchObject({ active: 1 });
    const ok = await read('ok');
    expect(ok.status?.succeeded).toBe(1);
    expect(ok.status?.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['SuccessCriteriaMet', 'True'],
      ['Complete', 'True'],
    ]);
    await read('bad');
    const bad = await read('bad');
    expect(bad.status?.failed).toBe(3);
    expect(bad.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
  });
});

describe('Kubernetes stand-in: Istio objects', () => {
  let kube: KubeStandIn;
  beforeEach(async () => (kube = await startKubeStandIn()));
  afterEach(() => kube.close());

  it('shows one stored object through v1 and v1beta1', async () => {
    const { custom } = clientsFor(kube);
    await custom.createNamespacedCustomObject({
      ...at('v1beta1', 'destinationrules'),
      body: destinationRule,
    });
    await custom.createNamespacedCustomObject({
      ...at('v1', 'virtualservices'),
      body: virtualService([100, 0]),
    });
    const v1 = await custom.getNamespacedCustomObject({ ...at('v1', 'virtualservices'), name: 'app' });
    const beta = await custom.getNamespacedCustomObject({ ...at('v1beta1', 'virtualservices'), name: 'app' });
    expect([v1.apiVersion, beta.apiVersion]).toEqual([
      'networking.istio.io/v1',
      'networking.istio.io/v1beta1',
    ]);
    expect(beta.metadata.uid).toBe(v1.metadata.uid);
    const list = await custom.listNamespacedCustomObject(at('v1beta1', 'destinationrules'));
    expect(list.items[0]).toMatchObject({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'DestinationRule',
    });
  });

  it('refuses weights that do not sum to 100 and a subset no DestinationRule defines, naming the route', async () => {
    const { custom } = clientsFor(kube);
    await custom.createNamespacedCustomObject({
      ...at('v1beta1', 'destinationrules'),
      body: destinationRule,
    });
    const create = (body: object) =>
      custom.createNamespacedCustomObject({ ...at('v1', 'virtualservices'), body });
    const weights = await failure(create(virtualService([90, 20])));
    expect(weights.status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message:
        'VirtualService.networking.istio.io "app" is invalid: spec.http[0].route: Invalid value: [90,20]: http route "primary": total destination weight 110 != 100',
    });
    const subset = await failure(create(virtualService([50, 50], 'canary')));
    expect(subset.status.details?.causes).toEqual([
      expect.objectContaining({
        field: 'spec.http[0].route[1].destination.subset',
        message: expect.stringContaining('http route "primary": subset "canary" is not defined'),
      }),
    ]);
  });
});

describe('Kubernetes stand-in: watches', () => {
  let kube: KubeStandIn;
  afterEach(() => kube.close());

  it('streams ADDED, MODIFIED and DELETED, then 410 Expired from a compacted resourceVersion', async () => {
    kube = await startKubeStandIn();
    const { kc, core } = clientsFor(kube);
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'old' } } });
    const watch = await watchEvents(kc, '/api/v1/namespaces/prod/configmaps');
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'new' } } });
    await core.patchNamespacedConfigMap({ name: 'new', namespace, body: { data: { a: '1' } } }, MERGE);
    await core.deleteNamespacedConfigMap({ name: 'new', namespace });
    const events = await watch.until(4);
    expect(
      events.map((e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`),
    ).toEqual(['ADDED old 1', 'ADDED new 2', 'MODIFIED new 3', 'DELETED new 4']);
    watch.stop();
    kube.compactHistory();
    const late = await watchEvents(kc, '/api/v1/namespaces/prod/configmaps', { resourceVersion: '2' });
    expect(await late.ended).toBeNull();
    expect(late.events).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({
          code: 410,
          reason: 'Expired',
          message: 'too old resource version: 2 (4)',
        }),
      },
    ]);
  });

  it('ends a watch at timeoutSeconds by the injected clock, and every watch on close', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    kube = await startKubeStandIn({ now: () => clock });
    const { kc, core } = clientsFor(kube);
    const short = await watchEvents(kc, '/api/v1/namespaces/prod/configmaps', { timeoutSeconds: 5 });
    const long = await watchEvents(kc, '/apis/apps/v1/namespaces/prod/deployments');
    expect(kube.openWatches).toBe(2);
    clock += 6000;
    await core.listNamespacedConfigMap({ namespace });
    expect(await short.ended).toBeNull();
    await kube.close();
    expect(await long.ended).toBeNull();
  });
});

describe('Kubernetes stand-in: RBAC', () => {
  let kube: KubeStandIn;
  afterEach(() => kube.close());
  const user = 'system:serviceaccount:ringmaster:controller';
  const objects = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'controller', namespace: 'ringmaster' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'rollout' },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'rollout', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'rollout' },
      subjects: [{ kind: 'ServiceAccount', name: 'controller', namespace: 'ringmaster' }],
    },
  ];

  it('allows what the bound role grants in its namespace, answers 403 otherwise and counts the permissions used', async () => {
    kube = await startKubeStandIn({
      rbac: { objects, tokens: { 't-1': { namespace: 'ringmaster', serviceAccount: 'controller' } } },
    });
    kube.seed(deployment('web'));
    const { apps, core, objects: generic } = clientsFor(kube, { token: 't-1' });
    await apps.readNamespacedDeployment({ name: 'web', namespace });
    await apps.listNamespacedDeployment({ namespace });
    await apps.patchNamespacedDeployment({ name: 'web', namespace, body: { spec: { replicas: 3 } } }, MERGE);
    expect((await failure(apps.deleteNamespacedDeployment({ name: 'web', namespace }))).status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `deployments.apps "web" is forbidden: User "${user}" cannot delete resource "deployments" in API group "apps" in the namespace "prod"`,
      reason: 'Forbidden',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      code: 403,
    });
    expect((await failure(core.listNamespacedConfigMap({ namespace }))).status.message).toBe(
      `configmaps is forbidden: User "${user}" cannot list resource "configmaps" in API group "" in the namespace "prod"`,
    );
    await failure(apps.readNamespacedDeployment({ name: 'web', namespace: 'other' }));
    const create = await failure(
      generic.patch(deployment('new'), undefined, undefined, 'ringmaster', undefined, SSA),
    );
    expect(create.status.message).toContain('cannot create resource "deployments"');
    expect(Object.fromEntries(kube.usedPermissions())).toEqual({
      'apps/deployments/get': 1,
      'apps/deployments/list': 1,
      'apps/deployments/patch': 2,
    });
    expect(kube.requests.find((r) => r.verb === 'delete')).toMatchObject({
      user,
      resource: 'deployments',
      apiGroup: 'apps',
      status: 403,
    });
  });

  it('answers 401 to an unknown token or none', async () => {
    kube = await startKubeStandIn({
      rbac: { objects, tokens: { 't-1': { namespace: 'ringmaster', serviceAccount: 'controller' } } },
    });
    expect(
      (await failure(clientsFor(kube, { token: 'nope' }).apps.listNamespacedDeployment({ namespace }))).code,
    ).toBe(401);
    expect((await failure(clientsFor(kube).apps.listNamespacedDeployment({ namespace }))).code).toBe(401);
  });
});
