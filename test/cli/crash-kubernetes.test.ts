/**
 * Crash safety against Kubernetes: the controller (the built CLI, as a child)
 * promotes eight groups through the API stand-in with its RBAC and is killed
 * with SIGKILL at random moments, then started again until a run completes.
 * In every trial each group ends serving the new release from one colour
 * with nothing else left, its migration Job was created exactly once, each
 * transition is journaled once as succeeded, and no request was refused.
 */
import { join } from 'node:path';
import { FileStateStore } from '../../controller/state/file-store.js';
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

  /** A state folder and a fresh stand-in, with the early ring on 2026.11.0 as the baseline. */
  async function baseline(): Promise<{ state: string; kube: KubeStandIn }> {
    const kube = await startKubeWithRbac();
    const state = await makeTempDir('ringmaster-kube-crash-');
    await writeProviders(state, kube);
    expect((await runKillable([...args(state), '--rev', before])).code).toBe(0);
    return { state, kube };
  }

  it(`keeps every group and its objects consistent when killed at random moments (${TRIALS} trials)`, async () => {
    const next = random(20261206);
    let kills = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const { state, kube } = await baseline();
      kills += await runThroughKills(args(state), next, `trial ${trial}: ${state}/log.json`);
      await expectConsistent(state, kube, trial);
      await kube.close();
      await removeDir(state);
    }
    expect(kills).toBeGreaterThanOrEqual(TRIALS / 2);
  }, 600_000);

  async function expectConsistent(state: string, kube: KubeStandIn, trial: number): Promise<void> {
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
      return `${g}: applied ${a?.snapshot?.release}@${a?.commit === promotion ? 'promotion' : 'old'} held=${Boolean(a?.held)} | deployments ${colours} serving ${serving} | migration created ${jobCreations}x | journals ${js.join(',')}`;
    });
    const expected = EARLY.map((g) =>
      expect.stringMatching(
        new RegExp(
          `^${g}: applied 2026\\.11\\.1@promotion held=false \\| deployments (blue|green):2026\\.11\\.1 serving \\1 \\| migration created 1x \\| journals succeeded$`,
        ),
      ),
    );
    expect({ trial, summary }).toEqual({ trial, summary: expected });
    expect(kube.requests.filter((r) => r.status === 401 || r.status === 403 || r.status === 422)).toEqual([]);
  }
});
