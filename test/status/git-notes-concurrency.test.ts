/**
 * Writers that do not share this process's write queue: each loads its own
 * copy of git-notes.ts (jest.isolateModulesAsync), as `ringmaster run` and
 * `ringmaster approve` do in two processes, and writes through its own
 * simple-git client. Their git commands race for the notes ref for real.
 */
import { jest } from '@jest/globals';
import { simpleGit } from 'simple-git';
import { GitNotesReporter, NOTES_REF } from '../../controller/status/git-notes.js';
import type { CommitStatus } from '../../controller/status/reporter.js';
import { recordGitChildren, removeDir } from '../helpers/git.js';
import { type StatusRepo, canary, createStatusRepo, minute, steppingClock } from './helpers.js';

type GitNotesModule = typeof import('../../controller/status/git-notes.js');

/** A fresh copy of git-notes.ts, with a write queue of its own: what another process would have. */
async function loadSeparately(): Promise<GitNotesModule> {
  let loaded: GitNotesModule | undefined;
  await jest.isolateModulesAsync(async () => {
    loaded = await import('../../controller/status/git-notes.js');
  });
  return loaded!;
}

describe('GitNotesReporter with writers that do not share its write queue, like other processes', () => {
  let repo: StatusRepo;
  beforeEach(async () => {
    repo = await createStatusRepo();
  });
  afterEach(async () => {
    await removeDir(repo.dir);
  });

  it('lands every status when four writers report to the same commits at once', async () => {
    const commits = [repo.first, repo.second];
    const writers = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      // One at a time: jest cannot load two isolated copies at once.
      const { GitNotesReporter } = await loadSeparately();
      const reporter = new GitNotesReporter(simpleGit({ baseDir: repo.dir }), { now: steppingClock() });
      writers.push({ name, reporter });
    }
    const expected = writers.flatMap(({ name }) =>
      commits.flatMap((sha) =>
        Array.from({ length: 2 }, (_, i) => ({ sha, status: status(name, `Wave ${i + 1} of 2`) })),
      ),
    );

    const wrote = await Promise.all(
      writers.map(async ({ name, reporter }) => {
        const mine = expected.filter((e) => e.status.context.endsWith(`/${name}`));
        // A writer's own reports wait in its write queue; the four writers' queues run at once.
        return Promise.all(mine.map(({ sha, status }) => reporter.report(sha, status)));
      }),
    );

    expect(wrote.flat()).toEqual(expected.map(() => true));
    const reader = writers[0]!.reporter;
    for (const sha of commits) {
      const listed = (await reader.list(sha)).map((s) => `${s.context} ${s.state} ${s.description}`);
      const wanted = expected
        .filter((e) => e.sha === sha)
        .map(({ status: s }) => `${s.context} ${s.state} ${s.description}`);
      expect(listed.sort()).toEqual(wanted.sort());
    }
    expect(await notesRefs(repo)).toEqual([NOTES_REF]);
  });

  it('re-reads and merges the note when another writer moves the notes ref in the middle of a write', async () => {
    const other = new (await loadSeparately()).GitNotesReporter(simpleGit({ baseDir: repo.dir }), {
      now: () => new Date(minute(30)),
    });
    await other.report(repo.second, canary('pending', 'Rolling out'));
    // Just before the first attempt moves the notes ref (its ref updater starts then), the other writer lands
    // a status on the same commit.
    const children = recordGitChildren({ pauseOnce: 'update-ref' });
    try {
      const reporter = new GitNotesReporter(simpleGit({ baseDir: repo.dir }), { now: steppingClock() });
      const writing = reporter.report(repo.second, canary('success', 'Done'));
      await children.paused();
      await other.report(repo.second, status('other', 'Approved by Kim'));
      children.resume();
      expect(await writing).toBe(true);
      await Promise.all([reporter.close(), other.close()]);
      // Ours (held, then refused: the ref had moved, and git ends the child), ours again after reading the note
      // anew; the other writer's was running already.
      const updaters = children.commands().filter((c) => c.startsWith('update-ref'));
      expect(updaters).toHaveLength(2);
    } finally {
      children.restore();
    }
    expect(await other.list(repo.second)).toEqual([
      { ...canary('pending', 'Rolling out'), createdAt: minute(30) },
      { ...status('other', 'Approved by Kim'), createdAt: minute(30) },
      // The lost attempt read the clock once too.
      { ...canary('success', 'Done'), createdAt: minute(1) },
    ]);
    expect(await notesRefs(repo)).toEqual([NOTES_REF]);
  });
});

function status(writer: string, description: string): CommitStatus {
  return { state: 'pending', context: `ringmaster/canary/${writer}`, description };
}

/** Every ref under refs/notes: the writes leave nothing of their own behind. */
async function notesRefs(repo: StatusRepo): Promise<string[]> {
  const out = await repo.git.raw(['for-each-ref', '--format=%(refname)', 'refs/notes/']);
  return out.split('\n').filter((line) => line !== '');
}
