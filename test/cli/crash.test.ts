/**
 * Crash safety: the controller runs as a child process and is killed with
 * SIGKILL at random moments during a promotion, then started again until a run
 * completes. In every trial each group must end consistent (applied state,
 * simulated world and journal agree) with each transition finished once.
 * Needs the built CLI (`npm test` builds it first).
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { WorldFile } from '../../controller/providers/sim/state.js';
import { FileStateStore } from '../../controller/state/file-store.js';
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

const TRIALS = 20;

/** The controller's arguments: one look to the end, the sim sped up a million times with 10 ms per call. */
const args = (state: string) => onceArgs(repo.dir, state, '--sim-latency', '10');

let repo: FixtureRepo;

describe('crash safety', () => {
  let baseline: string;
  let promotion: string;

  beforeAll(async () => {
    repo = await createCrashFixture();
    baseline = await makeTempDir('ringmaster-crash-base-');
    expect((await runKillable(args(baseline))).code).toBe(0);
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.11.0"');
    promotion = await repo.commit('promote 2026.11.1 to early and 2026.11.0 to stable');
  }, 60_000);

  afterAll(async () => {
    await removeDir(repo.dir);
    await removeDir(baseline);
  });

  it(`keeps every group consistent when killed at random moments (${TRIALS} trials)`, async () => {
    const next = random(20261122);
    let kills = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const state = await makeTempDir('ringmaster-crash-');
      await cp(baseline, state, { recursive: true });
      // Each trial's statuses alone: the notes of the trials before are dropped.
      await repo.git.raw(['update-ref', '-d', 'refs/notes/ringmaster']);
      kills += await runThroughKills(args(state), next, `trial ${trial}: ${state}/log.json`);
      await expectConsistent(state, trial);
      await expectFinalStatuses(trial);
      await removeDir(state);
    }
    // The test means something only if the kills landed mid-run.
    expect(kills).toBeGreaterThanOrEqual(TRIALS / 2);
  }, 600_000);

  /** Every ring the promotion touched ends with a final status, however often the controller was killed. */
  async function expectFinalStatuses(trial: number): Promise<void> {
    const notes = await repo.git.raw(['log', '-1', '--notes=ringmaster', '--format=%N', promotion]);
    const latest = new Map<string, string>();
    for (const line of notes.split('\n')) {
      const m = / (\w+) "(ringmaster\/[^"/]+)" /.exec(line);
      if (m) latest.set(m[2]!, m[1]!);
    }
    expect({ trial, statuses: Object.fromEntries(latest) }).toEqual({
      trial,
      statuses: { 'ringmaster/early': 'success', 'ringmaster/stable': 'success' },
    });
  }

  async function expectConsistent(state: string, trial: number): Promise<void> {
    // Read as the controller reads them: each file with the log of its changes beside it.
    const applied = (await new FileStateStore(state).loadApplied())!;
    const world = (await WorldFile.open(join(state, 'sim.json'))).world;
    const mine = await journalsOf(state, promotion);
    const summary = EARLY.map((g) => {
      const a = applied.groups[g];
      const w = world.groups[`eu-1/${g}`];
      const stacks = Object.keys(w?.stacks ?? {})
        .sort()
        .join('+');
      const active = w?.active && w.stacks[w.active]?.release;
      const js = mine.filter((j) => j.group === g).map((j) => j.status);
      return `${g}: applied ${a?.snapshot?.release}@${a?.commit === promotion ? 'promotion' : 'old'} held=${Boolean(a?.held)} emergency=${Boolean(a?.emergency)} | serving ${active} from ${stacks} | journals ${js.join(',')}`;
    });
    const expected = EARLY.map((g) =>
      expect.stringMatching(
        new RegExp(
          `^${g}: applied 2026\\.11\\.1@promotion held=false emergency=false \\| serving 2026\\.11\\.1 from (blue|green) \\| journals succeeded$`,
        ),
      ),
    );
    expect({ trial, summary }).toEqual({ trial, summary: expected });
  }
});
