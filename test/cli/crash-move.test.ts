/**
 * Crash safety of a tenant move: the controller is killed with SIGKILL at
 * random moments while it moves a tenant from a shared group to a group of
 * its own, then started again until a run completes. Every trial must end
 * with the move done once: the tenant's host routed by the new group alone,
 * its data promoted there, the shared group's other tenant on its stack, and
 * one journal per transition, succeeded. Likewise `recover --to cut-back` of
 * a move that failed past promotion, killed and finished by itself or by the
 * controller: the tenant back on the shared group, the promoted database kept.
 */
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorldFile } from '../../controller/providers/sim/state.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import type { FixtureRepo } from '../helpers/constellation.js';
import { moveBetaToItsOwnGroup } from '../helpers/constellation.js';
import {
  createCrashFixture,
  journalsOf,
  onceArgs,
  random,
  runKillable,
  runThroughKills,
} from '../helpers/crash.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const TRIALS = 8;
const CUT_BACK_TRIALS = 6;

/** One look to the end, the sim sped up a million times with 20 ms per call (a move makes about fifteen). */
const args = (state: string) => onceArgs(repo.dir, state, '--sim-latency', '20');

let repo: FixtureRepo;

describe('crash safety of a tenant move', () => {
  let baseline: string;
  let move: string;

  beforeAll(async () => {
    repo = await createCrashFixture();
    baseline = await makeTempDir('ringmaster-crash-move-base-');
    expect((await runKillable(args(baseline))).code).toBe(0);
    await moveBetaToItsOwnGroup(repo);
    move = await repo.commit('beta gets a group of its own');
  }, 60_000);

  afterAll(async () => {
    await removeDir(repo.dir);
    await removeDir(baseline);
  });

  it(`moves the tenant once and consistently when killed at random moments (${TRIALS} trials)`, async () => {
    const next = random(20261207);
    let kills = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const state = await makeTempDir('ringmaster-crash-move-');
      await cp(baseline, state, { recursive: true });
      kills += await runThroughKills(args(state), next, `trial ${trial}: ${state}/log.json`);
      // The move applied, the shared group drops beta at the next look (killed too, at times).
      kills += await runThroughKills(args(state), next, `trial ${trial} (drop): ${state}/log.json`);
      expect({ trial, ...(await summary(state)) }).toEqual({
        trial,
        applied: {
          beta: 'beta@move held=false emergency=false',
          'shared-1': 'alpha@move held=false emergency=false',
        },
        world: {
          beta: 'blue serves beta.example.com; registry beta on its own database',
          'shared-1': 'blue serves alpha.example.com; registry alpha',
          replicas: { 'beta-db': { source: 'shared-1-db', promoted: true } },
        },
        journals: ['beta succeeded', 'shared-1 succeeded'],
      });
      await removeDir(state);
    }
    // The test means something only if the kills landed mid-run.
    expect(kills).toBeGreaterThanOrEqual(TRIALS / 2);
  }, 600_000);

  it(`cuts a failed move back once and consistently when recover is killed at random moments (${CUT_BACK_TRIALS} trials)`, async () => {
    // A second constellation: the release can cut a tenant back, and the move failed past promotion.
    const cutRepo = await createCrashFixture();
    const base = await makeTempDir('ringmaster-crash-cutback-base-');
    const runArgs = (state: string, ...extra: string[]) => onceArgs(cutRepo.dir, state, ...extra);
    const recoverArgs = (state: string) => [
      'recover',
      'beta',
      '--to',
      'cut-back',
      ...runArgs(state, '--sim-latency', '150').slice(2),
    ];
    try {
      await cutRepo.edit(
        'groups/releases/2026.11.0.yaml',
        'services:',
        'tenantJobs:\n  cutback: { image: "registry.example.com/app/tools:1", command: [run] }\nservices:',
      );
      await cutRepo.commit('2026.11.0 can cut a moved tenant back');
      expect((await runKillable(runArgs(base))).code).toBe(0);
      await moveBetaToItsOwnGroup(cutRepo);
      const failedMove = await cutRepo.commit('beta gets a group of its own');
      await writeFile(
        join(base, 'faults.yaml'),
        'faults:\n  - { group: beta, step: observe, kind: permanent }\n',
      );
      expect((await runKillable(runArgs(base, '--sim-faults', join(base, 'faults.yaml')))).code).toBe(0);
      expect((await new FileStateStore(base).loadApplied())!.groups.beta!.emergency).toBeDefined();

      const next = random(20261208);
      let kills = 0;
      for (let trial = 0; trial < CUT_BACK_TRIALS; trial++) {
        const state = await makeTempDir('ringmaster-crash-cutback-');
        await cp(base, state, { recursive: true });
        const first = await runKillable(recoverArgs(state), 50 + Math.floor(next() * 1500));
        if (first.killed) kills++;
        const open = await openJournals(state);
        // Killed once: the cut-back is finished by recover asked again, or (every other trial, once it
        // began) by the controller, which resumes it like any transition left open.
        const finish =
          first.code !== 0 && open[0]?.status === 'rolling-back' && trial % 2 === 1
            ? runArgs(state)
            : recoverArgs(state);
        if (first.code !== 0)
          expect({ trial, code: (await runKillable(finish)).code }).toEqual({ trial, code: 0 });
        const applied = (await new FileStateStore(state).loadApplied())!;
        const world = (await WorldFile.open(join(state, 'sim.json'))).world;
        expect({
          trial,
          beta: {
            snapshot: applied.groups.beta?.snapshot,
            held: applied.groups.beta?.held?.commit === failedMove,
            emergency: applied.groups.beta?.emergency,
          },
          world: {
            beta: world.groups['eu-1/beta'],
            shared: world.groups['eu-1/shared-1']?.hosts,
            replicas: world.replicas,
          },
        }).toEqual({
          trial,
          beta: { snapshot: undefined, held: true, emergency: undefined },
          world: {
            beta: undefined,
            shared: ['alpha.example.com', 'beta.example.com'],
            replicas: { 'beta-db': { source: 'shared-1-db', promoted: true } },
          },
        });
        await removeDir(state);
      }
      expect(kills).toBeGreaterThanOrEqual(CUT_BACK_TRIALS / 2);
    } finally {
      await removeDir(cutRepo.dir);
      await removeDir(base);
    }
  }, 600_000);

  /** The transitions open in the journal of `state`. */
  async function openJournals(state: string) {
    const store = new FileJournalStore(join(state, 'journal'));
    try {
      return await store.listOpen();
    } finally {
      await store.close();
    }
  }

  async function summary(state: string) {
    // Read as the controller reads them: each file with the log of its changes beside it.
    const applied = (await new FileStateStore(state).loadApplied())!;
    const world = (await WorldFile.open(join(state, 'sim.json'))).world;
    const group = (name: string) => {
      const a = applied.groups[name];
      const tenants = a?.snapshot?.tenants.map((t) => t.id).join(',');
      return `${tenants}@${a?.commit === move ? 'move' : 'old'} held=${Boolean(a?.held)} emergency=${Boolean(a?.emergency)}`;
    };
    const serving = (name: string) => {
      const w = world.groups[`eu-1/${name}`];
      const registry = w?.databases ? `registry served elsewhere: ${JSON.stringify(w.databases)}` : undefined;
      return [w?.active, 'serves', w?.hosts?.join(',')].join(' ') + (registry ? `; ${registry}` : '');
    };
    return {
      applied: { beta: group('beta'), 'shared-1': group('shared-1') },
      world: {
        beta: `${serving('beta')}; registry beta on its own database`,
        'shared-1': `${serving('shared-1')}; registry ${world.groups['eu-1/shared-1']?.tenants?.join(',')}`,
        replicas: world.replicas,
      },
      journals: (await journalsOf(state, move)).map((j) => `${j.group} ${j.status}`).sort(),
    };
  }
});
