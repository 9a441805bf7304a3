/**
 * A tenant moving from a shared group to a group of its own against the
 * Kubernetes API stand-in (the real client, deploy/'s RBAC) and the AWS
 * stand-in (the real SDK, deploy/iam-policy.json) for databases and secrets:
 * the joining group's stack and registry, the hosts of both groups' routing,
 * the Jobs, the read replica made and promoted, and the shared group's pods
 * untouched.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AwsStandIn, startAwsStandIn } from '../fakes/aws/server.js';
import { awsEnv } from '../fakes/aws/test-clients.js';
import type { KubeStandIn } from '../fakes/kube/server.js';
import { runController } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo, moveBetaToItsOwnGroup } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { startKubeWithRbac, writeProviders } from '../helpers/kube.js';

const SUNDAY_WINDOW = new Date('2026-11-22T01:30:00Z');
const JOB = '{ image: "registry.example.com/app/tools:2026.11.0", command: [run] }';

describe('moving a tenant on Kubernetes', () => {
  let repo: FixtureRepo;
  let state: string;
  let kube: KubeStandIn;
  let aws: AwsStandIn;
  const saved = { ...process.env };
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
    [kube, aws] = await Promise.all([startKubeWithRbac(), startAwsStandIn({ snapshotReadsToAvailable: 2 })]);
    const providers = await writeProviders(state, kube);
    await writeFile(
      providers,
      (await readFile(providers, 'utf8')).replace(
        'ports: { cluster: kubernetes, health: kubernetes }',
        'ports: { cluster: kubernetes, health: kubernetes, database: aws, secrets: aws }\naws: { region: eu-west-1 }',
      ),
    );
    for (const g of ['globex', 'internal', 'shared-1']) {
      aws.rds.putInstance('eu-west-1', { id: `${g}-db` });
      aws.secrets.putSecret('eu-west-1', `test/${g}/db`, JSON.stringify({ username: g, password: 'pw' }));
    }
    // The SDK reads where to reach AWS from the environment, as it does in any setup.
    Object.assign(process.env, awsEnv(aws.url));
    await repo.edit(
      'groups/releases/2026.11.0.yaml',
      'services:',
      `tenantJobs:\n  remove: ${JOB}\n  sequences: ${JOB}\nservices:`,
    );
    await repo.commit('tenant jobs');
  });
  afterEach(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await Promise.all([kube.close(), aws.close()]);
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const ringmaster = (...args: string[]) =>
    runController(repo.dir, state, [...args, '--providers', join(state, 'providers.yaml')], SUNDAY_WINDOW);

  const hosts = (group: string) =>
    (
      kube.get('networking.istio.io/v1', 'VirtualService', group, `test-${group}`)?.spec as {
        hosts: string[];
      }
    ).hosts;
  const registry = (group: string) =>
    (
      JSON.parse(
        (kube.get('v1', 'ConfigMap', group, `test-${group}-tenants`)!.data as Record<string, string>)[
          'tenants.json'
        ]!,
      ) as { tenants: { id: string; database: { instance: string; name: string } }[] }
    ).tenants.map((t) => `${t.id} ${t.database.instance}/${t.database.name}`);
  const jobs = (group: string) =>
    kube
      .list('batch/v1', 'Job', group)
      .map((j) => j.metadata.name)
      .sort();
  const deployments = (group: string) =>
    kube
      .list('apps/v1', 'Deployment', group)
      .map((d) => `${d.metadata.name} ${d.metadata.generation} ${JSON.stringify(d.spec)}`);

  it('routes the host to the new group, promotes its database, and drops the tenant from the shared group after', async () => {
    // The policy asks for a standby of a promoted database.
    await repo.edit('policies/promotion.yaml', /\n$/, '\nmoves: { standby: true }\n');
    await repo.commit('moved databases get a standby');
    expect((await ringmaster('run', '--once')).code).toBe(0);
    expect(hosts('shared-1')).toEqual(['alpha.example.com', 'beta.example.com']);
    const sharedPods = deployments('shared-1');

    await moveBetaToItsOwnGroup(repo);
    await repo.commit('beta gets a group of its own');
    const moved = await ringmaster('run', '--once');
    expect(moved.out).toMatch(/✓ beta@[0-9a-f]{12} succeeded/);
    // The new group serves beta from its own, promoted database; the shared group routes alpha alone.
    expect(hosts('beta')).toEqual(['beta.example.com']);
    expect(hosts('shared-1')).toEqual(['alpha.example.com']);
    expect(registry('beta')).toEqual(['beta beta-db/beta']);
    expect(jobs('beta')).toEqual(['test-beta-tenant-sequences-beta']);
    // beta-db: made as a read replica of shared-1-db, tagged as beta's, promoted to an instance of its own.
    const made = aws.rds.instance('eu-west-1', 'beta-db')!;
    expect(made.replicaOf).toBeUndefined();
    expect(made.status).toBe('available');
    expect(made.tags).toContainEqual({ Key: 'ringmaster.io/group', Value: 'beta' });
    expect(
      aws.requests
        .filter((r) => !r.action.startsWith('Describe') && !r.action.startsWith('Get'))
        .map((r) => `${r.action} ${r.status}`),
    ).toEqual(['CreateDBInstanceReadReplica 200', 'PromoteReadReplica 200', 'ModifyDBInstance 200']);
    expect(made.multiAz).toBe(true);
    // Until the move is applied the shared group's registry still lists beta, on its own database.
    expect(registry('shared-1')).toEqual(['alpha shared-1-db/alpha', 'beta shared-1-db/beta']);
    expect(deployments('shared-1')).toEqual(sharedPods);

    const dropped = await ringmaster('run', '--once');
    expect(dropped.out).toMatch(/✓ shared-1@[0-9a-f]{12} succeeded/);
    expect(registry('shared-1')).toEqual(['alpha shared-1-db/alpha']);
    expect(jobs('shared-1')).toEqual(['test-shared-1-tenant-remove-beta']);
    // alpha never changed stack: not a pod template of the shared group was touched.
    expect(deployments('shared-1')).toEqual(sharedPods);
    expect(kube.requests.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
    expect(aws.requests.filter((r) => r.status === 403)).toEqual([]);
  }, 60_000);

  it('cuts a move that failed after promotion back with recover --to cut-back, keeping the promoted database', async () => {
    await repo.edit('groups/releases/2026.11.0.yaml', 'tenantJobs:\n', `tenantJobs:\n  cutback: ${JOB}\n`);
    await repo.commit('2026.11.0 can cut a moved tenant back');
    expect((await ringmaster('run', '--once')).code).toBe(0);
    const sharedPods = deployments('shared-1');
    // Once beta-db is promoted, the API cannot be asked how beta's Deployments are: the observe period fails.
    let outage = true;
    const promoted = () => {
      const made = aws.rds.instance('eu-west-1', 'beta-db');
      return made !== undefined && made.replicaOf === undefined;
    };
    kube.failNext(
      { method: 'GET', pathIncludes: '/namespaces/beta/deployments', when: () => outage && promoted() },
      503,
      Infinity,
    );
    await moveBetaToItsOwnGroup(repo);
    await repo.commit('beta gets a group of its own');
    expect((await ringmaster('run', '--once')).out).toMatch(/beta@[0-9a-f]{12} emergency/);
    expect(hosts('shared-1')).toEqual(['alpha.example.com']);
    expect(registry('beta')).toEqual(['beta beta-db/beta']);

    outage = false;
    const recover = await ringmaster('recover', 'beta', '--to', 'cut-back');
    expect([recover.code, recover.err]).toEqual([0, '']);
    expect(recover.out).toContain(
      "tenant beta cut back to shared-1: routed there again, what it wrote on beta-db since promotion was copied back by the release's cutback Job. beta-db is kept",
    );
    // The host is the shared group's again, served from shared-1-db as before, on the pods it always had.
    expect(hosts('shared-1')).toEqual(['alpha.example.com', 'beta.example.com']);
    expect(registry('shared-1')).toEqual(['alpha shared-1-db/alpha', 'beta shared-1-db/beta']);
    expect(deployments('shared-1')).toEqual(sharedPods);
    // What beta wrote on beta-db was copied back by the release's Job, told where to.
    // (The Job went with beta's stack afterwards: it is read as it was applied.)
    const applied = kube.requests.find(
      (r) => r.method === 'PATCH' && r.name === 'test-beta-tenant-cutback-beta' && r.status === 201,
    );
    const env = (
      JSON.parse(applied!.body!) as {
        spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } };
      }
    ).spec.template.spec.containers[0]!.env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'RINGMASTER_TENANT', value: 'beta' },
        { name: 'RINGMASTER_TARGET_INSTANCE', value: 'shared-1-db' },
        { name: 'RINGMASTER_TARGET_ENGINE', value: 'postgres' },
      ]),
    );
    // beta's stack is gone; beta-db, promoted, is kept for a human to delete.
    expect(deployments('beta')).toEqual([]);
    expect(aws.rds.instance('eu-west-1', 'beta-db')).toBeDefined();
    expect(aws.requests.map((r) => r.action)).not.toContain('DeleteDBInstance');
    expect(kube.requests.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
  }, 60_000);
});
