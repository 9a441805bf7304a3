/**
 * A group whose very first deployment fails runs nothing: every view says
 * "not deployed" and counts it as failed, never as ready on its release.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const SUNDAY_WINDOW = new Date('2026-11-22T01:30:00Z');

describe('a group whose first deployment fails', () => {
  let repo: FixtureRepo;
  let state: string;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
    await writeFile(
      join(state, 'faults.yaml'),
      'faults:\n  - { group: internal, step: verify, kind: permanent }\n',
    );
  });
  afterEach(async () => {
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
        '--sim-speed',
        '100000',
        '--log-file',
        join(state, 'log.json'),
      ],
      { now: SUNDAY_WINDOW },
    );

  it('is shown not deployed by status, blocked by plan, failed on its ring, and no bake evidence', async () => {
    const run = await ringmaster('run', '--once', '--sim-faults', join(state, 'faults.yaml'));
    expect(run.out).toMatch(/↺ internal@[0-9a-f]{12} rolled-back: verify failed: .*injected/);

    const status = JSON.parse((await ringmaster('status', '--json')).out) as {
      groups: { name: string; state: string; appliedRelease?: string; reason?: string }[];
      rings: { name: string; onRelease: number; failed: number }[];
    };
    expect(status.groups.find((g) => g.name === 'internal')).toEqual(
      expect.objectContaining({
        state: 'held',
        reason: expect.stringMatching(/^not deployed: verify failed: /),
      }),
    );
    expect(status.groups.find((g) => g.name === 'internal')!.appliedRelease).toBeUndefined();
    expect(status.rings.find((r) => r.name === 'canary')).toEqual(
      expect.objectContaining({ onRelease: 0, failed: 1 }),
    );

    const plan = await ringmaster('plan');
    expect(plan.out).toMatch(
      /internal +commit [0-9a-f]{12} failed here \(verify failed: .*\); nothing deployed; held until/,
    );

    const notes = await repo.git.raw(['log', '-1', '--notes=ringmaster', '--format=%N', repo.baseSha]);
    expect(notes).toMatch(
      / failure "ringmaster\/canary" "canary: 0\/1 groups on 2026\.11\.1 · 1 rolled back/,
    );
    const records = JSON.parse(await readFile(join(state, 'records.json'), 'utf8')) as {
      rings: { ring: string; healthyAt?: string }[];
    };
    expect(records.rings.find((r) => r.ring === 'canary')!.healthyAt).toBeUndefined();

    // The same commit, faults gone: it is not tried again in a loop.
    const again = await ringmaster('run', '--once');
    expect(again.out).not.toContain('internal@');
  });
});
