import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runController } from './cli.js';
import { type FixtureRepo, createFixtureRepo } from './constellation.js';
import { makeTempDir, removeDir } from './git.js';

/** A Sunday night, inside globex's maintenance window. */
export const SUNDAY_WINDOW = new Date('2026-11-22T01:30:00Z');

/** A fixture repository and state folder in which shared-1 is held for a promotion it failed. */
export interface HeldGroupRepo {
  readonly repo: FixtureRepo;
  readonly state: string;
  /** The commit promoting early to 2026.11.1. */
  readonly promotion: string;
  /** The held transition, `shared-1@<promotion, 12 characters>`. */
  readonly held: string;
  /** The fault file that fails shared-1's verify step (in the state folder). */
  readonly faults: string;
  /** Removes the repository and the state folder. */
  remove(): Promise<void>;
}

/**
 * Makes a fixture repository and a state folder, runs the controller once
 * (every group created; globex waits at its manual gate), promotes early to
 * 2026.11.1 and runs it again with shared-1's verify failing for good:
 * shared-1 is rolled back and held for the promotion.
 */
export async function createHeldGroupRepo(): Promise<HeldGroupRepo> {
  const repo = await createFixtureRepo();
  const state = await makeTempDir('ringmaster-state-');
  const faults = join(state, 'faults.yaml');
  await writeFile(faults, 'faults:\n  - { group: shared-1, step: verify, kind: permanent }\n');
  await runController(repo.dir, state, ['run', '--once'], SUNDAY_WINDOW);
  await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
  const promotion = await repo.commit('promote 2026.11.1 to early');
  const held = `shared-1@${promotion.slice(0, 12)}`;
  const run = await runController(repo.dir, state, ['run', '--once', '--sim-faults', faults], SUNDAY_WINDOW);
  if (!run.out.includes(`↺ ${held} rolled-back: verify failed`))
    throw new Error(`shared-1 was not rolled back:\n${run.out}\n${run.err}`);
  return {
    repo,
    state,
    promotion,
    held,
    faults,
    async remove() {
      await removeDir(repo.dir);
      await removeDir(state);
    },
  };
}
