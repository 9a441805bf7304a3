/**
 * Crash safety: the controller runs as a child process and is killed with
 * SIGKILL at random moments during a promotion, then started again until a run
 * completes. In every trial each group must end consistent (applied state,
 * simulated world and journal agree) with each transition finished once.
 * Needs the built CLI (`npm test` builds it first).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WorldFile } from '../../controller/providers/sim/state.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const CLI = join(process.cwd(), 'dist', 'controller', 'cli', 'bin.js');
const TRIALS = 20;
const EARLY = ['shared-1', ...Array.from({ length: 7 }, (_, i) => `smb-${i + 1}`)];

/** A small seeded generator, so a failing trial can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function runController(
  repo: string,
  state: string,
  killAfterMs?: number,
): Promise<{ code: number | null; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const args = [
      CLI,
      'run',
      '--once',
      '--repo',
      repo,
      '--state',
      state,
      '--sim-speed',
      '1000000',
      '--sim-latency',
      '10',
      '--log-file',
      join(state, 'log.json'),
    ];
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    let killed = false;
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => (killed = child.kill('SIGKILL')), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, killed });
    });
  });
}

describe('crash safety', () => {
  let repo: FixtureRepo;
  let baseline: string;
  let promotion: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
    repo = await createFixtureRepo();
    for (const name of EARLY.slice(1)) {
      await repo.write(
        `groups/${name}.yaml`,
        `apiVersion: ringmaster/v1\nkind: Group\nname: ${name}\nring: early\nresources:\n  cluster: eu-1\n  namespace: ${name}\n  database: { instance: ${name}-db, engine: postgres }\n  secrets: []\ntenants:\n  - { id: ${name}-t, host: ${name}.example.com, language: en-GB, utcOffset: "+00:00" }\n`,
      );
    }
    await repo.edit('policies/promotion.yaml', 'maxParallel: 5 }\n  stable', 'maxParallel: 3 }\n  stable');
    await repo.edit('policies/promotion.yaml', ', window: maintenance, gate: manual', '');
    // No bake: one promotion moves two rings, so a kill can fall between them.
    await repo.edit('policies/promotion.yaml', 'early: { bake: 24h', 'early: { bake: 0h');
    await repo.edit('policies/promotion.yaml', 'stable: { bake: 7d', 'stable: { bake: 0h');
    await repo.commit('eight groups in early, no manual gate, no bake');
    baseline = await makeTempDir('ringmaster-crash-base-');
    expect((await runController(repo.dir, baseline)).code).toBe(0);
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
      let result = await runController(repo.dir, state, 50 + Math.floor(next() * 1000));
      for (let restarts = 0; result.code !== 0; restarts++) {
        if (result.killed) kills++;
        else
          throw new Error(
            `trial ${trial}: the controller failed by itself (exit ${result.code}); see ${state}/log.json`,
          );
        result = await runController(
          repo.dir,
          state,
          restarts < 2 ? 50 + Math.floor(next() * 1000) : undefined,
        );
      }
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
    const store = new FileJournalStore(join(state, 'journal'));
    expect(await store.listOpen()).toEqual([]);
    const journals = await Promise.all(
      // A write cut short by SIGKILL leaves its temporary file behind; only the renamed files are journals.
      (await readdir(join(state, 'journal')))
        .filter((f) => f.includes('@') && f.endsWith('.json'))
        .map(async (f) => (await store.load(f.slice(0, -5)))!),
    );
    const mine = journals.filter((j) => j.commit === promotion);
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
