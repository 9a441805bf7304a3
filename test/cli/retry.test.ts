/**
 * `ringmaster retry GROUP` on a real repository and state folder: a group held
 * for a failed promotion is tried again once the Retry file is committed, a
 * failed retry holds it again (no loop), and a second Retry tries once more.
 * It refuses what is not held, naming what is, and needs the state folder to
 * know which commit a group is held for.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runController, runRingmaster } from '../helpers/cli.js';
import type { FixtureRepo } from '../helpers/constellation.js';
import { type HeldGroupRepo, SUNDAY_WINDOW, createHeldGroupRepo } from '../helpers/held-group.js';

const LATER = new Date('2026-11-22T10:00:00Z');

describe('ringmaster retry', () => {
  let fixture: HeldGroupRepo;
  let repo: FixtureRepo;
  let state: string;
  /** The transition shared-1 failed (promoting early to 2026.11.1) and is held for. */
  let held: string;
  beforeAll(async () => {
    fixture = await createHeldGroupRepo();
    ({ repo, state, held } = fixture);
  });
  afterAll(() => fixture.remove());

  const controller = (...args: string[]) => runController(repo.dir, state, args, SUNDAY_WINDOW);
  const retry = (group: string, ...args: string[]) =>
    runRingmaster(['retry', group, '--repo', repo.dir, '--state', state, ...args], { now: LATER });
  const head = async () => (await repo.git.revparse(['HEAD'])).trim();
  const heldList = () =>
    `; held: ${held} (verify failed: sim: injected permanent fault for group shared-1 at step verify (every attempt fails))`;

  it.each([
    [
      'a group that does not exist',
      'nope',
      () => /^ringmaster: there is no group "nope" on main \(commit [0-9a-f]{12}\)/,
    ],
    [
      'a group that runs what the branch asks',
      'internal',
      () => /^ringmaster: group internal is not held: it runs what main asks/,
    ],
    [
      'a group whose transition is under way',
      'globex',
      () =>
        /^ringmaster: group globex is not held: its transition globex@[0-9a-f]{12} is under way \(waiting for approval/,
    ],
  ])(
    'refuses %s with exit 1, listing what is held with its commit and reason',
    async (_name, group, message) => {
      const before = await head();
      const run = await retry(group);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(message());
      expect(run.err.endsWith(heldList())).toBe(true);
      expect(await head()).toBe(before);
    },
  );

  it('needs the state folder to learn the hold from: exit 2, saying to pass --state', async () => {
    const run = await runRingmaster([
      'retry',
      'shared-1',
      '--repo',
      repo.dir,
      '--state',
      join(repo.dir, 'no-state'),
    ]);
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      `ringmaster: no controller state in ${join(repo.dir, 'no-state')}: retry learns from the controller's applied state which commit a group is held for; pass --state DIR (the controller's state folder), or run it where the controller's state is`,
    );
  });

  it('commits the Retry file, and the next run tries the group again once, holding it again when it fails', async () => {
    const asked = await retry('shared-1', '--reason', 'the database was restarted');
    expect(asked.err).toBe('');
    expect(asked.code).toBe(0);
    const first = await head();
    expect(asked.out).toBe(
      `asked for a retry of ${held} in commit ${first.slice(0, 12)}; the controller tries shared-1 again at its next look at main`,
    );
    expect(await readFile(join(repo.dir, 'groups', 'retries', `${held}.yaml`), 'utf8')).toBe(
      [
        'apiVersion: ringmaster/v1',
        'kind: Retry',
        `retry: ${held}`,
        'requestedAt: "2026-11-22T10:00:00.000Z"',
        'description: "the database was restarted"',
        '',
      ].join('\n'),
    );
    expect((await repo.git.log({ maxCount: 1 })).latest!.message).toBe(`Retry ${held}`);
    expect((await runRingmaster(['validate', '--repo', repo.dir, '--rev', first])).code).toBe(0);

    const plan = await controller('plan');
    const retried = `shared-1@${first.slice(0, 12)}`;
    expect(plan.out).toMatch(
      new RegExp(`^  ${retried} +early +\\(retry of ${held}\\) release 2026\\.11\\.0 → 2026\\.11\\.1`, 'm'),
    );
    const again = await retry('shared-1');
    expect(again.code).toBe(0);
    expect(again.out).toBe(
      `a retry of ${held} is already on main (groups/retries/${held}.yaml); the controller tries shared-1 again at its next look`,
    );
    expect(await head()).toBe(first);

    // The fault is still there: the retry fails, under its own id, beside the failed attempt's journal.
    const failed = await controller('run', '--once', '--sim-faults', fixture.faults);
    expect(failed.out).toContain(`↺ ${retried} rolled-back: verify failed`);
    const journals = await readdir(join(state, 'journal'));
    expect(journals).toEqual(expect.arrayContaining([`${held}.json`, `${retried}.json`]));
    // The same Retry file does not start another.
    const quiet = await controller('run', '--once', '--sim-faults', fixture.faults);
    expect(quiet.out).not.toContain('shared-1@');
    expect((await controller('plan')).out).toMatch(
      new RegExp(
        `^  shared-1 +commit ${first.slice(0, 12)} \\(a retry of ${held}\\) failed here \\(verify failed: .*\\); held until a newer commit changes the group, or a retry is merged \\(ringmaster retry shared-1\\)$`,
        'm',
      ),
    );

    // A new Retry names the new hold; without the fault the group reaches the release.
    const second = await retry('shared-1');
    expect(second.out).toMatch(new RegExp(`^asked for a retry of ${retried} in commit [0-9a-f]{12};`));
    const fixed = await controller('run', '--once');
    const last = `shared-1@${(await head()).slice(0, 12)}`;
    expect(fixed.out).toContain(`✓ ${last} succeeded`);
    const status = JSON.parse((await controller('status', '--json')).out) as {
      groups: { name: string; state: string; appliedRelease?: string }[];
    };
    expect(status.groups.find((g) => g.name === 'shared-1')).toEqual(
      expect.objectContaining({ state: 'ready', appliedRelease: '2026.11.1' }),
    );
    expect(
      await Promise.all(
        [held, retried, last].map(
          async (id) =>
            (JSON.parse(await readFile(join(state, 'journal', `${id}.json`), 'utf8')) as { status: string })
              .status,
        ),
      ),
    ).toEqual(['rolled-back', 'rolled-back', 'succeeded']);

    const none = await retry('shared-1');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(
      /^ringmaster: group shared-1 is not held: it runs what main asks; no group is held$/,
    );
  });
});
