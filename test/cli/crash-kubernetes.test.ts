/**
 * Crash safety against Kubernetes: the controller (the built CLI, as a child)
 * promotes eight groups through the API stand-in with its RBAC and is killed
 * with SIGKILL at random moments, then started again until a run completes.
 * Databases and secrets are AWS's, through the AWS stand-in. In every trial
 * each group ends serving the new release from one colour with nothing else
 * left, its database was snapshotted exactly once before the migration, its
 * migration Job was created exactly once, each transition is journaled once
 * as succeeded, and no request was refused.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileStateStore } from '../../controller/state/file-store.js';
import { type AwsStandIn, startAwsStandIn } from '../fakes/aws/server.js';
import { awsEnv } from '../fakes/aws/test-clients.js';
import type { KubeStandIn } from '../fakes/kube/server.js';
import type { FixtureRepo } from '../helpers/constellation.js';
import {
  EARLY,
  createCrashFixture,
  journalsOf,
  onceArgs,
  random,
  runKillable,
  runThroughKills,
} from '../helpers/crash.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { startKubeWithRbac, writeProviders } from '../helpers/kube.js';

const TRIALS = 4;
const MIGRATION =
  '  migration: { image: "registry.example.com/app/migrate:2026.11.1", command: [migrate] }\n';

let repo: FixtureRepo;
let before: string;
let promotion: string;

const args = (state: string) => onceArgs(repo.dir, state, '--providers', join(state, 'providers.yaml'));

describe('crash safety against Kubernetes', () => {
  beforeAll(async () => {
    repo = await createCrashFixture();
    await repo.edit('groups/releases/2026.11.1.yaml', 'services:\n', `${MIGRATION.trimStart()}services:\n`);
    before = await repo.commit('2026.11.1 migrates its data layout');
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.11.0"');
    promotion = await repo.commit('promote 2026.11.1 to early and 2026.11.0 to stable');
  }, 60_000);
  afterAll(() => removeDir(repo.dir));

  /** A state folder and fresh stand-ins, with the early ring on 2026.11.0 as the baseline. */
  async function baseline(): Promise<{
    state: string;
    kube: KubeStandIn;
    aws: AwsStandIn;
    env: Readonly<Record<string, string>>;
  }> {
    const [kube, aws] = await Promise.all([startKubeWithRbac(), startAwsStandIn()]);
    const state = await makeTempDir('ringmaster-kube-crash-');
    const providers = await writeProviders(state, kube);
    await writeFile(
      providers,
      (await readFile(providers, 'utf8')).replace(
        'ports: { cluster: kubernetes, health: kubernetes }',
        'ports: { cluster: kubernetes, health: kubernetes, database: aws, secrets: aws }\naws: { region: eu-west-1 }',
      ),
    );
    for (const g of ['globex', 'internal', ...EARLY]) aws.rds.putInstance('eu-west-1', { id: `${g}-db` });
    for (const g of ['globex', 'internal', 'shared-1'])
      aws.secrets.putSecret('eu-west-1', `test/${g}/db`, JSON.stringify({ username: g, password: 'pw' }));
    const env = awsEnv(aws.url);
    expect((await runKillable([...args(state), '--rev', before], undefined, env)).code).toBe(0);
    return { state, kube, aws, env };
  }

  it(`keeps every group and its objects consistent when killed at random moments (${TRIALS} trials)`, async () => {
    const next = random(20261206);
    let kills = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const { state, kube, aws, env } = await baseline();
      try {
        kills += await runThroughKills(args(state), next, `trial ${trial}: ${state}/log.json`, env);
        await expectConsistent(state, kube, aws, trial);
      } finally {
        await Promise.all([kube.close(), aws.close()]);
      }
      await removeDir(state);
    }
    expect(kills).toBeGreaterThanOrEqual(TRIALS / 2);
  }, 600_000);

  async function expectConsistent(
    state: string,
    kube: KubeStandIn,
    aws: AwsStandIn,
    trial: number,
  ): Promise<void> {
    const applied = (await new FileStateStore(state).loadApplied())!;
    const mine = await journalsOf(state, promotion);
    const summary = EARLY.map((g) => {
      const a = applied.groups[g];
      const deployments = kube
        .list('apps/v1', 'Deployment', g)
        .map(
          (d) =>
            `${d.metadata.labels!['ringmaster.io/colour']}:${d.metadata.labels!['app.kubernetes.io/version']}`,
        );
      const colours = [...new Set(deployments)].sort().join('+');
      const vs = kube.get('networking.istio.io/v1', 'VirtualService', g, `test-${g}`);
      const route = (vs?.spec as { http: { route: { destination: { subset: string }; weight: number }[] }[] })
        .http[0]!.route;
      const serving = route.find((r) => r.weight === 100)?.destination.subset;
      const jobCreations = kube.requests.filter(
        (r) => r.status === 201 && r.path.endsWith(`/jobs/test-${g}-migrate-411`),
      ).length;
      const js = mine.filter((j) => j.group === g).map((j) => j.status);
      const snapshot = aws.rds.snapshot('eu-west-1', `test-${g}-411-${promotion.slice(0, 12)}`);
      const backup = `snapshot ${snapshot?.instance} ${snapshot?.status}`;
      return `${g}: applied ${a?.snapshot?.release}@${a?.commit === promotion ? 'promotion' : 'old'} held=${Boolean(a?.held)} | deployments ${colours} serving ${serving} | ${backup} | migration created ${jobCreations}x | journals ${js.join(',')}`;
    });
    const expected = EARLY.map((g) =>
      expect.stringMatching(
        new RegExp(
          `^${g}: applied 2026\\.11\\.1@promotion held=false \\| deployments (blue|green):2026\\.11\\.1 serving \\1 \\| snapshot ${g}-db available \\| migration created 1x \\| journals succeeded$`,
        ),
      ),
    );
    expect({ trial, summary }).toEqual({ trial, summary: expected });
    expect(kube.requests.filter((r) => r.status === 401 || r.status === 403 || r.status === 422)).toEqual([]);
    // Each snapshot made once, whatever the kills: a look after a restart finds it and waits for it.
    const made = aws.requests.filter((r) => r.action === 'CreateDBSnapshot' && r.status === 200);
    const taken = aws.rds.snapshots('eu-west-1').map((x) => x.instance);
    expect({ trial, made: made.length }).toEqual({ trial, made: taken.length });
    expect(taken).toEqual(expect.arrayContaining(EARLY.map((g) => `${g}-db`)));
    expect(aws.requests.filter((r) => r.status === 403 || /AccessDenied/.test(r.error ?? ''))).toEqual([]);
  }
});
