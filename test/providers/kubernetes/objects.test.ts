import {
  type KubeObject,
  deployment,
  isOwnedBy,
  registryConfigMap,
  routesOf,
  servingColour,
  virtualService,
} from '../../../controller/providers/kubernetes/objects.js';
import { deploymentRollout } from '../../../controller/providers/kubernetes/rollout.js';
import { holds } from '../../../controller/providers/kubernetes/cluster.js';
import type { StackSpec } from '../../../controller/providers/ports.js';

const OWNER = { constellation: 'acme', group: 'globex' };
const SPEC: StackSpec = {
  cluster: 'eu-1',
  namespace: 'globex',
  color: 'green',
  release: '2026.11.2',
  schemaVersion: 412,
  services: {
    api: {
      image: 'registry.example.com/api:2026.11.2',
      replicas: 2,
      port: 8080,
      healthPath: '/healthz',
      route: '/api',
    },
    web: {
      image: 'registry.example.com/web:2026.11.2',
      replicas: 1,
      port: 3000,
      healthPath: '/health',
      route: '/',
    },
  },
  tenants: [
    { id: 'globex', host: 'globex.app.example.com', language: 'de-DE', utcOffset: '+01:00' },
    {
      id: 'globex-test',
      host: 'test.globex.app.example.com',
      language: 'en-GB',
      utcOffset: '+00:00',
      testOf: 'globex',
    },
  ],
  database: { instance: 'globex-db', engine: 'postgres' },
  secrets: ['prod/globex/db'],
};

function withStatus(replicas: number, generation: number, status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'acme-globex-api-green', generation },
    spec: { replicas },
    status,
  };
}

describe('deploymentRollout, as kubectl rollout status reads it', () => {
  it.each([
    [
      'spec not observed',
      withStatus(2, 2, { observedGeneration: 1 }),
      'waiting',
      /spec update to be observed/,
    ],
    [
      'replicas not updated',
      withStatus(2, 1, { observedGeneration: 1, updatedReplicas: 1 }),
      'waiting',
      /1 of 2 new replicas updated/,
    ],
    [
      'old replicas left',
      withStatus(2, 1, { observedGeneration: 1, updatedReplicas: 2, replicas: 3 }),
      'waiting',
      /1 old replicas pending termination/,
    ],
    [
      'not available',
      withStatus(2, 1, { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 1 }),
      'waiting',
      /1 of 2 updated replicas available/,
    ],
    [
      'deadline exceeded',
      withStatus(2, 1, {
        observedGeneration: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "x" has timed out progressing.',
          },
        ],
      }),
      'failed',
      /acme-globex-api-green exceeded its progress deadline: ReplicaSet "x" has timed out progressing\./,
    ],
  ])('%s', (_what, d, state, message) => {
    const rollout = deploymentRollout(d);
    expect(rollout.state).toBe(state);
    expect('message' in rollout ? rollout.message : '').toMatch(message);
  });

  it('is done when every replica is updated and available', () => {
    expect(
      deploymentRollout(
        withStatus(2, 3, { observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }),
      ),
    ).toEqual({ state: 'done' });
    expect(deploymentRollout(withStatus(0, 1, { observedGeneration: 1 }))).toEqual({ state: 'done' });
  });
});

describe('the objects of a group', () => {
  it('gives a Deployment the labels, selector, probe and mounted registry', () => {
    const d = deployment(OWNER, SPEC, 'web', SPEC.services.web!);
    expect(d.metadata.name).toBe('acme-globex-web-green');
    expect(d.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'ringmaster',
      'app.kubernetes.io/part-of': 'acme',
      'app.kubernetes.io/instance': 'acme-globex',
      'app.kubernetes.io/name': 'web',
      'app.kubernetes.io/version': '2026.11.2',
      'ringmaster.io/constellation': 'acme',
      'ringmaster.io/group': 'globex',
      'ringmaster.io/colour': 'green',
    });
    const spec = d.spec as {
      selector: { matchLabels: Record<string, string> };
      template: { spec: { containers: Record<string, unknown>[]; volumes: unknown[] } };
    };
    // The selector leaves out the version: a Deployment's selector can never change.
    expect(spec.selector.matchLabels).toEqual({
      'ringmaster.io/constellation': 'acme',
      'ringmaster.io/group': 'globex',
      'app.kubernetes.io/name': 'web',
      'ringmaster.io/colour': 'green',
    });
    expect(spec.template.spec.containers[0]).toMatchObject({
      image: 'registry.example.com/web:2026.11.2',
      readinessProbe: { httpGet: { path: '/health', port: 3000 } },
      volumeMounts: [{ name: 'tenants', mountPath: '/etc/ringmaster/tenants', readOnly: true }],
    });
    expect(spec.template.spec.volumes).toEqual([
      { name: 'tenants', configMap: { name: 'acme-globex-tenants' } },
    ]);
    expect(isOwnedBy(d, OWNER)).toBe(true);
    expect(isOwnedBy(d, { constellation: 'acme-staging', group: 'globex' })).toBe(false);
  });

  it('writes every tenant into the registry with its database and secret names, never values', () => {
    const registry = registryConfigMap(OWNER, SPEC);
    expect(registry.metadata.name).toBe('acme-globex-tenants');
    expect(JSON.parse(registry.data!['tenants.json']!)).toEqual({
      tenants: [
        {
          id: 'globex',
          host: 'globex.app.example.com',
          language: 'de-DE',
          utcOffset: '+01:00',
          database: { instance: 'globex-db', name: 'globex' },
          secrets: ['prod/globex/db'],
        },
        {
          id: 'globex-test',
          host: 'test.globex.app.example.com',
          language: 'en-GB',
          utcOffset: '+00:00',
          testOf: 'globex',
          database: { instance: 'globex-db', name: 'globex_test' },
          secrets: ['prod/globex/db'],
        },
      ],
    });
  });

  it('routes the tenant hosts to one colour, longest prefix first', () => {
    const stack = Object.entries(SPEC.services).map(([name, s]) => deployment(OWNER, SPEC, name, s));
    const routes = routesOf(stack);
    const vs = virtualService(
      OWNER,
      'globex',
      { hosts: ['b.example.com', 'a.example.com'], routes, color: 'green', weight: 100 },
      'networking.istio.io/v1',
    );
    expect(vs.metadata.name).toBe('acme-globex');
    expect(vs.spec).toEqual({
      hosts: ['a.example.com', 'b.example.com'],
      http: [
        {
          name: 'api',
          match: [{ uri: { prefix: '/api' } }],
          route: [
            {
              destination: { host: 'acme-globex-api', subset: 'green', port: { number: 8080 } },
              weight: 100,
            },
            { destination: { host: 'acme-globex-api', subset: 'blue', port: { number: 8080 } }, weight: 0 },
          ],
        },
        {
          name: 'web',
          match: [{ uri: { prefix: '/' } }],
          route: [
            {
              destination: { host: 'acme-globex-web', subset: 'green', port: { number: 3000 } },
              weight: 100,
            },
            { destination: { host: 'acme-globex-web', subset: 'blue', port: { number: 3000 } }, weight: 0 },
          ],
        },
      ],
    });
    expect(servingColour(vs)).toBe('green');
  });

  it('sends everything to the first service by name when no service has a route', () => {
    const plain = {
      ...SPEC,
      services: {
        worker: { ...SPEC.services.api!, route: undefined },
        api: { ...SPEC.services.api!, route: undefined },
      },
    };
    const stack = Object.entries(plain.services).map(([name, s]) => deployment(OWNER, plain, name, s));
    expect(routesOf(stack)).toEqual([{ service: 'api', prefix: '/', port: 8080 }]);
  });
});

describe('holds: is an object already as asked', () => {
  const wanted = { metadata: { labels: { a: '1' } }, spec: { ports: [{ port: 80, name: 'http' }] } };
  it.each([
    [
      'with what the server added',
      {
        metadata: { labels: { a: '1', b: '2' }, uid: 'x' },
        spec: { ports: [{ port: 80, name: 'http', protocol: 'TCP' }], clusterIP: '10.0.0.1' },
      },
      true,
    ],
    [
      'not when a value differs',
      { metadata: { labels: { a: '2' } }, spec: { ports: [{ port: 80, name: 'http' }] } },
      false,
    ],
    [
      'not when a list has another length',
      { metadata: { labels: { a: '1' } }, spec: { ports: [{ port: 80, name: 'http' }, { port: 81 }] } },
      false,
    ],
    ['not when a field is missing', { metadata: { labels: { a: '1' } } }, false],
  ])('%s', (_what, existing, expected) => {
    expect(holds(existing, wanted)).toBe(expected);
  });
});
