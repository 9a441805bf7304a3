/**
 * End to end with every real adapter: `ringmaster run --providers FILE`
 * against the Kubernetes stand-in, the AWS stand-in (RDS and Secrets
 * Manager) and a real Prometheus scraping an Istio exporter the test
 * controls. One ring of three groups moves to a release that raises the data
 * layout: each database is snapshotted once before the migration; `good`'s
 * new colour serves well and finishes; `bad`'s fails its success rate in the
 * observe period and is rolled back and held, the status naming the query and
 * the value; `quiet`'s has no data, waits for a person, and an approval
 * finishes it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { type AwsStandIn, startAwsStandIn } from '../fakes/aws/server.js';
import { awsEnv } from '../fakes/aws/test-clients.js';
import type { KubeStandIn } from '../fakes/kube/server.js';
import { runRingmaster } from '../helpers/cli.js';
import { groupYaml } from '../helpers/constellation.js';
import { commitAll, initRepo, makeTempDir, removeDir } from '../helpers/git.js';
import { startKubeWithRbac, writeProviders } from '../helpers/kube.js';
import {
  type IstioExporter,
  type PrometheusServer,
  startExporter,
  startPrometheus,
  successShare,
  vectorValues,
} from './prometheus.js';

const NOW = new Date('2026-11-23T10:00:00Z');
const GROUPS = ['good', 'bad', 'quiet'] as const;

const FILES: Record<string, string> = {
  'groups/rings.yaml':
    'apiVersion: ringmaster/v1\nkind: RingSet\nconstellation: shop\nrings:\n  - name: canary\n    release: "2026.11.0"\n',
  'policies/promotion.yaml': [
    'apiVersion: ringmaster/v1',
    'kind: PromotionPolicy',
    'order: [canary]',
    'rings:',
    '  canary: { bake: 0h, approvals: 1, reviewers: ["@shop/release"], maxParallel: 3 }',
    'health:',
    '  gracePeriod: 1m',
    '  observe: 2m',
    '  analysis:',
    '    - name: success-rate',
    `      query: '${successShare('{{namespace}}', '{{constellation}}-{{group}}-.*-{{colour}}')}'`,
    '      min: 0.99',
    '      during: [observe]',
    '',
  ].join('\n'),
  'groups/releases/2026.11.0.yaml': release('2026.11.0', 1),
  'groups/releases/2026.11.1.yaml': release(
    '2026.11.1',
    2,
    'migration: { image: "registry.example.com/shop/migrate:2", command: [migrate] }',
  ),
  ...Object.fromEntries(
    GROUPS.map((g) => [`groups/${g}.yaml`, groupYaml(g, 'canary', { secrets: [`shop/${g}/db`] })]),
  ),
};

function release(version: string, schemaVersion: number, extra = ''): string {
  return [
    'apiVersion: ringmaster/v1',
    'kind: Release',
    `version: "${version}"`,
    'line: "2026.11"',
    `schemaVersion: ${schemaVersion}`,
    ...(extra ? [extra] : []),
    'services:',
    `  api: { image: "registry.example.com/shop/api:${version}", route: /api }`,
    `  web: { image: "registry.example.com/shop/web:${version}", route: / }`,
    '',
  ].join('\n');
}

describe('health analysis end to end: Kubernetes, AWS and a real Prometheus', () => {
  let repo: string;
  let git: SimpleGit;
  let state: string;
  let kube: KubeStandIn;
  let aws: AwsStandIn;
  let exporter: IstioExporter;
  let prom: PrometheusServer;
  const saved = { ...process.env };

  beforeAll(async () => {
    [kube, aws, exporter] = await Promise.all([startKubeWithRbac(), startAwsStandIn(), startExporter()]);
    prom = await startPrometheus({ targets: [exporter.target] });
    repo = await makeTempDir();
    for (const [path, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(repo, path)), { recursive: true });
      await writeFile(join(repo, path), text);
    }
    git = await initRepo(repo);
    await commitAll(git, 'shop on 2026.11.0');
    state = await makeTempDir('ringmaster-state-');
    await writeProviders(state, kube);
    await writeFile(
      join(state, 'providers.yaml'),
      [
        'apiVersion: ringmaster/v1',
        'kind: Providers',
        'ports: { cluster: kubernetes, health: kubernetes, database: aws, secrets: aws, metrics: prometheus }',
        'clusters:',
        '  eu-1: { context: eu, kubeconfig: kubeconfig }',
        'kubernetes: { pollSeconds: 5 }',
        'aws: { region: eu-west-1 }',
        `prometheus: { url: "${prom.url}", timeoutSeconds: 10 }`,
        '',
      ].join('\n'),
    );
    for (const g of GROUPS) {
      aws.rds.putInstance('eu-west-1', { id: `${g}-db`, engine: 'postgres' });
      aws.secrets.putSecret(
        'eu-west-1',
        `shop/${g}/db`,
        JSON.stringify({ username: g, password: `pw-${g}` }),
      );
    }
    // The SDK reads its endpoint and credentials from the process's environment, as in production.
    Object.assign(process.env, awsEnv(aws.url));
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([prom?.close(), exporter?.close(), kube?.close(), aws?.close()]);
    await removeDir(repo);
    await removeDir(state);
  });

  const ringmaster = (...args: string[]) =>
    runRingmaster(
      [
        ...args,
        '--repo',
        repo,
        '--state',
        state,
        '--providers',
        join(state, 'providers.yaml'),
        '--sim-speed',
        '100',
        '--log-file',
        join(state, 'log.json'),
      ],
      { now: NOW },
    );

  /** Waits until Prometheus has a success share for each of `groups`' `colour` workloads. */
  async function dataFor(groups: readonly string[], colour: string) {
    for (const g of groups)
      await prom.waitFor(successShare(g, `shop-${g}-.*-${colour}`), (e) => vectorValues(e).length > 0, {
        timeoutMs: 60_000,
      });
  }

  const serving = (g: string) => {
    const vs = kube.get('networking.istio.io/v1', 'VirtualService', g, `shop-${g}`);
    const http = (vs?.spec as { http: { route: { destination: { subset: string }; weight: number }[] }[] })
      .http;
    return http[0]!.route.map((r) => `${r.destination.subset}=${r.weight}`).join(' ');
  };

  it('promotes the healthy group, rolls back the failing one, and waits for a person on no data', async () => {
    for (const g of GROUPS)
      for (const service of ['api', 'web'])
        exporter.setTraffic(g, `shop-${g}-${service}-blue`, { okPerScrape: 100, errorsPerScrape: 0 });
    await dataFor(GROUPS, 'blue');
    const first = await ringmaster('run', '--once');
    expect([first.code, first.err]).toEqual([0, '']);
    for (const g of GROUPS) expect(first.out).toMatch(new RegExp(`✓ ${g}@[0-9a-f]{12} succeeded`));

    // The new colour: good serves well, bad fails one request in ten, quiet has no traffic at all.
    for (const service of ['api', 'web']) {
      exporter.setTraffic('good', `shop-good-${service}-green`, { okPerScrape: 100, errorsPerScrape: 0 });
      exporter.setTraffic('bad', `shop-bad-${service}-green`, { okPerScrape: 90, errorsPerScrape: 10 });
    }
    await dataFor(['good', 'bad'], 'green');
    await writeFile(
      join(repo, 'groups/rings.yaml'),
      FILES['groups/rings.yaml']!.replace('2026.11.0', '2026.11.1'),
    );
    const promotion = await commitAll(git, 'promote 2026.11.1 to canary');
    const run = await ringmaster('run', '--once');
    expect(run.err).toBe('');
    expect(run.out).toMatch(/✓ good@[0-9a-f]{12} succeeded/);
    expect(run.out).toMatch(
      /↺ bad@[0-9a-f]{12} rolled-back: observe failed: success-rate 0\.9 < min 0\.99 on green/,
    );
    expect(serving('good')).toBe('green=100 blue=0');
    expect(serving('bad')).toBe('blue=100 green=0');

    const quietId = `quiet@${promotion.slice(0, 12)}`;
    const status = JSON.parse((await ringmaster('status', '--json')).out) as {
      groups: { name: string; state: string; reason?: string; step?: string; backup?: string }[];
    };
    const of = (g: string) => status.groups.find((x) => x.name === g)!;
    expect(of('bad')).toMatchObject({
      state: 'held',
      reason: expect.stringMatching(/success-rate 0\.9 < min 0\.99 on green/),
    });
    expect(of('quiet')).toMatchObject({
      state: 'waiting',
      step: 'observe',
      reason: `success-rate inconclusive: no data on green; a person decides: ringmaster approve ${quietId} to go on, or ringmaster retry quiet to measure again`,
    });
    // Each database was snapshotted once, before its migration, and the snapshot is shown.
    for (const g of GROUPS) {
      const id = `shop-${g}-2-${promotion.slice(0, 12)}`;
      expect(aws.rds.snapshot('eu-west-1', id)).toMatchObject({ instance: `${g}-db`, status: 'available' });
      expect(of(g).backup).toBe(id);
    }
    expect(aws.requests.filter((r) => r.action === 'CreateDBSnapshot')).toHaveLength(3);
    expect(kube.list('batch/v1', 'Job', 'good').map((j) => j.metadata.name)).toEqual(['shop-good-migrate-2']);

    // A person asks to measure again: still no data, so quiet waits again, the second measurement journaled.
    const retry = await runRingmaster(['retry', 'quiet', '--repo', repo, '--state', state], { now: NOW });
    expect([retry.code, retry.err]).toEqual([0, '']);
    expect(retry.out).toMatch(/the controller measures quiet again at its next look/);
    const retried = await ringmaster('run', '--once');
    expect(retried.out).toMatch(/quiet@[0-9a-f]{12} waiting: success-rate inconclusive: no data on green/);
    const journal = new FileJournalStore(join(state, 'journal'));
    const observe = (await journal.load(quietId))!.steps.find((s) => s.name === 'observe')!;
    await journal.close();
    expect((observe.data!.results as { verdict: string }[]).map((r) => r.verdict)).toEqual([
      'inconclusive',
      'inconclusive',
    ]);

    // A person looks and approves: quiet goes on and finishes.
    const approve = await runRingmaster(['approve', quietId, '--repo', repo, '--state', state], { now: NOW });
    expect([approve.code, approve.err]).toEqual([0, '']);
    const approved = await ringmaster('run', '--once');
    expect(approved.out).toMatch(/✓ quiet@[0-9a-f]{12} succeeded/);
    expect(serving('quiet')).toBe('green=100 blue=0');
    // Nothing was refused: the IAM policy and the RBAC of deploy/ cover every call.
    expect(aws.requests.filter((r) => r.status === 403 || /AccessDenied/.test(r.error ?? ''))).toEqual([]);
    expect(kube.requests.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
  }, 120_000);
});
