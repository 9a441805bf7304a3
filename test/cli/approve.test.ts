/**
 * `ringmaster approve` approves only what can be approved: a transition of a
 * group that exists, in a ring with a manual gate, waiting at its gate; it
 * takes any unique commit prefix of 7 or more characters and writes the
 * approval under the full id.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const SUNDAY_WINDOW = new Date('2026-11-22T01:30:00Z');

describe('ringmaster approve', () => {
  let repo: FixtureRepo;
  let state: string;
  let waiting: string;
  beforeAll(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
    const run = await runRingmaster(
      [
        'run',
        '--once',
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
    waiting = /ringmaster approve (globex@[0-9a-f]{12})/.exec(run.out)![1]!;
  });
  afterAll(async () => {
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const approve = (transition: string) =>
    runRingmaster(['approve', transition, '--repo', repo.dir, '--state', state], { now: SUNDAY_WINDOW });
  const approvals = async () => readdir(join(repo.dir, 'groups', 'approvals')).catch(() => [] as string[]);

  it.each([
    [
      'a group that does not exist',
      () => `nope@${repo.baseSha.slice(0, 12)}`,
      /^ringmaster: there is no group "nope" on main \(commit [0-9a-f]{12}\); waiting for approval: globex@[0-9a-f]{12}$/,
    ],
    [
      'a group in a ring without a manual gate',
      () => `shared-1@${repo.baseSha.slice(0, 12)}`,
      /^ringmaster: group shared-1 is in ring early, which has no manual gate and no health analysis that waits for a person: its transitions need no approval; waiting for approval: globex@/,
    ],
  ])('refuses %s with exit 1, naming what waits instead', async (_name, id, message) => {
    const run = await approve(id());
    expect(run.code).toBe(1);
    expect(run.err).toMatch(message);
    expect(await approvals()).toEqual([]);
  });

  it('refuses a transition that is not waiting, with exit 1 and what waits', async () => {
    const other = await repo.commit('an empty commit');
    const run = await approve(`globex@${other.slice(0, 12)}`);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `ringmaster: globex@${other.slice(0, 12)} is not waiting for approval; waiting for approval: ${waiting}`,
    );
    expect(await approvals()).toEqual([]);
    await repo.git.raw(['reset', '--hard', 'HEAD~1']);
  });

  it('refuses a commit prefix that names no commit, with exit 2', async () => {
    const run = await approve('globex@abcdef0');
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'ringmaster: no commit abcdef0 in this repository; fetch the branch, or copy the id from the waiting reason',
    );
  });

  it('takes a unique 7-character prefix and writes the approval under the full id', async () => {
    const run = await approve(waiting.slice(0, waiting.indexOf('@') + 8));
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(new RegExp(`^approved ${waiting} in commit [0-9a-f]{12}`));
    expect(await approvals()).toEqual([`${waiting}.yaml`]);
  });
});
