/**
 * `ringmaster run --providers FILE` against the Kubernetes API stand-in: the
 * real client, the controller's RBAC from deploy/, the base constellation
 * rolled out from nothing, a ring promoted, and a group rolled back on an
 * image that never becomes available.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeStandIn } from '../fakes/kube/server.js';
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo, releaseYaml } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { startKubeWithRbac, writeProviders } from '../helpers/kube.js';

const SUNDAY_WINDOW = new Date('2026-11-22T01:30:00Z');

// Each test runs the controller three or four times; on a busy machine that takes a while.
describe('run --providers against Kubernetes', () => {
  let repo: FixtureRepo;
  let state: string;
  let kube: KubeStandIn;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
    kube = await startKubeWithRbac({
      imageBehaviour: (image) => (image.endsWith(':never') ? 'never-pulls' : 'ok'),
    });
    await writeProviders(state, kube);
  });
  afterEach(async () => {
    await kube.close();
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const ringmaster = (...args: string[]) =>
    runRingmaster(
      [
        ...args,
        '--repo',
        repo.dir,
        '--state',
        state,
        '--providers',
        join(state, 'providers.yaml'),
        '--sim-speed',
        '100000',
        '--log-file',
        join(state, 'log.json'),
      ],
      { now: SUNDAY_WINDOW },
    );

  const deployments = (ns: string) =>
    kube
      .list('apps/v1', 'Deployment', ns)
      .map((d) => `${d.metadata.name} ${d.metadata.labels?.['app.kubernetes.io/version']}`)
      .sort();
  const serving = (ns: string, group: string) => {
    const vs = kube.get('networking.istio.io/v1', 'VirtualService', ns, `test-${group}`);
    const http = (
      vs?.spec as { http: { route: { destination: { subset: string }; weight: number }[] }[] } | undefined
    )?.http;
    return http?.map((h) => h.route.map((r) => `${r.destination.subset}=${r.weight}`).join(' '));
  };

  it('rolls out from nothing, promotes a ring, and rolls back an image that never comes up', async () => {
    const first = await ringmaster('run', '--once');
    expect(first.code).toBe(0);
    expect(deployments('internal')).toEqual([
      'test-internal-api-blue 2026.11.1',
      'test-internal-worker-blue 2026.11.1',
    ]);
    expect(deployments('shared-1')).toEqual([
      'test-shared-1-api-blue 2026.11.0',
      'test-shared-1-worker-blue 2026.11.0',
    ]);
    // No service has a route: the first by name takes every request of the tenants' hosts.
    expect(serving('internal', 'internal')).toEqual(['blue=100 green=0']);
    const vs = kube.get('networking.istio.io/v1', 'VirtualService', 'internal', 'test-internal')!;
    expect((vs.spec as { hosts: string[] }).hosts).toEqual(['acme.example.com', 'globex-test.example.com']);
    const registry = kube.get('v1', 'ConfigMap', 'internal', 'test-internal-tenants')!;
    expect(
      JSON.parse((registry.data as Record<string, string>)['tenants.json']!).tenants.map(
        (t: { id: string }) => t.id,
      ),
    ).toEqual(['acme', 'globex-test']);

    // Promote canary: green comes up beside blue, takes the traffic, and blue is retired.
    await repo.write('groups/releases/2026.11.2.yaml', releaseYaml('2026.11.2', 412));
    await repo.edit('groups/rings.yaml', 'release: "2026.11.1"', 'release: "2026.11.2"');
    await repo.commit('promote 2026.11.2 to canary');
    const promoted = await ringmaster('run', '--once');
    expect(promoted.out).toMatch(/✓ internal@[0-9a-f]{12} succeeded/);
    expect(deployments('internal')).toEqual([
      'test-internal-api-green 2026.11.2',
      'test-internal-worker-green 2026.11.2',
    ]);
    expect(serving('internal', 'internal')).toEqual(['green=100 blue=0']);

    // An image that never pulls: the rollout exceeds its deadline, traffic stays on green, blue goes again.
    await repo.write(
      'groups/releases/2026.11.3.yaml',
      releaseYaml('2026.11.3', 412).replace('api:2026.11.3', 'api:never'),
    );
    await repo.edit('groups/rings.yaml', 'release: "2026.11.2"', 'release: "2026.11.3"');
    await repo.commit('promote 2026.11.3 to canary');
    const failed = await ringmaster('run', '--once');
    expect(failed.out).toMatch(
      /↺ internal@[0-9a-f]{12} rolled-back: prepare failed: .*test-internal-api-blue exceeded its progress deadline/,
    );
    expect(deployments('internal')).toEqual([
      'test-internal-api-green 2026.11.2',
      'test-internal-worker-green 2026.11.2',
    ]);
    expect(serving('internal', 'internal')).toEqual(['green=100 blue=0']);
    const status = JSON.parse((await ringmaster('status', '--json')).out) as {
      groups: { name: string; state: string }[];
    };
    expect(status.groups.find((g) => g.name === 'internal')!.state).toBe('held');
    // Everything was written as the controller's service account, within deploy/rbac.yaml.
    expect(kube.requests.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
  }, 60_000);

  it('adds and removes tenants in the registry, routing and Jobs only, and never touches a pod template', async () => {
    const jobs =
      'tenantJobs:\n    create: { image: "registry.example.com/app/tools:1", command: [create-tenant] }\n    remove: { image: "registry.example.com/app/tools:1", command: [remove-tenant] }\n';
    await repo.edit('groups/releases/2026.11.1.yaml', 'services:\n', `${jobs}services:\n`);
    await repo.edit('policies/promotion.yaml', /\n$/, '\ndecommission: true\n');
    await repo.commit('2026.11.1 prepares and removes tenants; departed tenants may be decommissioned');
    const first = await ringmaster('run', '--once');
    expect([first.code, first.err]).toEqual([0, '']);
    const templates = () =>
      kube
        .list('apps/v1', 'Deployment', 'internal')
        .map((d) => `${d.metadata.name} generation ${d.metadata.generation} ${JSON.stringify(d.spec)}`);
    const before = templates();
    const jobNames = () =>
      kube
        .list('batch/v1', 'Job', 'internal')
        .map((j) => j.metadata.name)
        .sort();
    expect(jobNames()).toEqual([
      'test-internal-tenant-create-acme',
      'test-internal-tenant-create-globex-test',
    ]);

    await repo.edit(
      'groups/internal.yaml',
      / {2}- \{ id: acme, .*\n/,
      '  - { id: initech, host: initech.example.com, language: en-US, utcOffset: "-06:00" }\n',
    );
    await repo.commit('initech joins internal, acme leaves');
    const moved = await ringmaster('run', '--once');
    expect(moved.out).toMatch(/✓ internal@[0-9a-f]{12} succeeded/);
    expect(templates()).toEqual(before);
    const vs = kube.get('networking.istio.io/v1', 'VirtualService', 'internal', 'test-internal')!;
    expect((vs.spec as { hosts: string[] }).hosts).toEqual([
      'globex-test.example.com',
      'initech.example.com',
    ]);
    const registry = kube.get('v1', 'ConfigMap', 'internal', 'test-internal-tenants')!;
    expect(
      JSON.parse((registry.data as Record<string, string>)['tenants.json']!).tenants.map(
        (t: { id: string }) => t.id,
      ),
    ).toEqual(['initech', 'globex-test']);
    // The canary ring keeps nothing (keep 0h): the departed tenant's removal ran at once.
    expect(jobNames()).toEqual([
      'test-internal-tenant-create-acme',
      'test-internal-tenant-create-globex-test',
      'test-internal-tenant-create-initech',
      'test-internal-tenant-remove-acme',
    ]);
  }, 60_000);

  it('refuses a group on a cluster the providers file lacks, and goes on with the others', async () => {
    await repo.edit('groups/shared-1.yaml', 'cluster: eu-1', 'cluster: us-1');
    await repo.commit('shared-1 moves to us-1');
    const validate = await runRingmaster([
      'validate',
      '--repo',
      repo.dir,
      '--providers',
      join(state, 'providers.yaml'),
    ]);
    expect(validate.code).toBe(1);
    expect(validate.out).toMatch(
      /^groups\/shared-1\.yaml:6:12: group "shared-1" runs on cluster "us-1", which providers file .* does not list \(it lists eu-1\); add it under clusters: or move the group \[unknown-cluster\]$/m,
    );
    const run = await ringmaster('run', '--once');
    expect(run.out).toMatch(
      /↺ shared-1@[0-9a-f]{12} rolled-back: validate failed: cluster "us-1" is not listed in providers file/,
    );
    expect(run.out).toMatch(/✓ internal@[0-9a-f]{12} succeeded/);
    expect(kube.list('apps/v1', 'Deployment', 'shared-1')).toEqual([]);
    expect(kube.list('apps/v1', 'Deployment', 'internal')).toHaveLength(2);
  }, 60_000);

  it.each([
    [
      'a kubeconfig that is not there',
      '{ context: eu, kubeconfig: missing.yaml }',
      /kubeconfig .*missing\.yaml cannot be read .*; set kubeconfig: or KUBECONFIG$/,
    ],
    [
      'a context the kubeconfig lacks',
      '{ context: asia, kubeconfig: kubeconfig }',
      /kubeconfig .* has no context "asia" \(it has eu\)$/,
    ],
    [
      'inCluster outside a pod',
      '{ inCluster: true }',
      /inCluster needs the controller to run in a pod .*KUBERNETES_SERVICE_HOST is not set.*$/,
    ],
  ])('refuses to start with %s, saying which cluster and what to do', async (_what, access, message) => {
    await writeFile(
      join(state, 'providers.yaml'),
      `apiVersion: ringmaster/v1\nkind: Providers\nclusters:\n  eu-1: ${access}\n`,
    );
    const run = await ringmaster('run', '--once');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^ringmaster: cluster eu-1 of providers file .*providers\.yaml: /);
    expect(run.err).toMatch(message);
    expect(run.err).not.toMatch(/\n\s+at /);
    expect(kube.requests).toEqual([]);
  });
});
