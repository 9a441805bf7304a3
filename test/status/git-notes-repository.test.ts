import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type SimpleGit, simpleGit } from 'simple-git';
import { PermanentError } from '../../controller/errors.js';
import { GitNotesReporter } from '../../controller/status/git-notes.js';
import { commitAll, makeTempDir, removeDir } from '../helpers/git.js';
import {
  type StatusRepo,
  canary,
  createStatusRepo,
  minute,
  notesAuthor,
  readRawNote,
  steppingClock,
  writeRawNote,
} from './helpers.js';

const run = promisify(execFile);

describe('GitNotesReporter with other writers of the repository', () => {
  let repo: StatusRepo;
  let git: SimpleGit;
  let first: string;
  let second: string;
  let reporter: GitNotesReporter;

  beforeEach(async () => {
    repo = await createStatusRepo();
    ({ git, first, second } = repo);
    reporter = new GitNotesReporter(git, { now: steppingClock() });
  });
  afterEach(async () => {
    await removeDir(repo.dir);
  });

  it('fans the notes tree out once a level holds more than 256 notes; git reads every note, and writes on', async () => {
    // 300 commits in one git process.
    const stream = Array.from(
      { length: 300 },
      (_, i) =>
        `commit refs/heads/many\nmark :${i + 1}\ncommitter a <a@example.com> ${i} +0000\ndata 1\n${i % 10}\n` +
        (i ? `from :${i}\n` : ''),
    ).join('');
    await new Promise<void>((resolve, reject) => {
      const child = execFile('git', ['fast-import', '--quiet'], { cwd: repo.dir }, (err) =>
        err ? reject(err) : resolve(),
      );
      child.stdin!.end(stream);
    });
    const commits = (await git.raw(['rev-list', 'refs/heads/many'])).trim().split('\n');
    for (const commit of commits)
      await reporter.report(commit, canary('pending', `on ${commit.slice(0, 7)}`));

    const listed = (await git.raw(['notes', '--ref=ringmaster', 'list'])).trim().split('\n');
    expect(listed).toHaveLength(300);
    // The root holds folders named by two characters, and no more than 256 notes of its own.
    const root = (await git.raw(['ls-tree', 'refs/notes/ringmaster'])).trim().split('\n');
    expect(root.some((line) => /^040000 tree [0-9a-f]+\t[0-9a-f]{2}$/.test(line))).toBe(true);
    expect(root.filter((line) => / blob /.test(line)).length).toBeLessThanOrEqual(256);
    for (const commit of [commits[0]!, commits[150]!, commits[299]!])
      expect(await git.raw(['notes', '--ref=ringmaster', 'show', commit])).toContain(
        `on ${commit.slice(0, 7)}`,
      );

    // git's own writer lays the tree out its way; ours reads and writes on from there.
    await git.raw(['notes', '--ref=ringmaster', 'append', '-m', 'a line of git notes', commits[7]!]);
    expect(await reporter.report(commits[7]!, canary('success', 'Done'))).toBe(true);
    expect((await reporter.list(commits[7]!)).map((s) => s.state)).toEqual(['pending', 'success']);
    expect((await git.raw(['notes', '--ref=ringmaster', 'list'])).trim().split('\n')).toHaveLength(300);
    await reporter.close();
    // Every object written is as git writes it (trees sorted, modes right): fsck fails otherwise.
    await git.raw(['fsck', '--strict', '--no-progress']);
  });

  it('writes notes git reads in a repository of sha256 objects', async () => {
    const dir = await makeTempDir();
    try {
      await run('git', ['init', '-q', '--object-format=sha256', dir]);
      const sha256 = simpleGit({ baseDir: dir });
      await sha256.addConfig('user.name', 'Test').addConfig('user.email', 'test@example.com');
      await sha256.raw(['commit', '-q', '--allow-empty', '-m', 'only']);
      const commit = (await sha256.revparse(['HEAD'])).trim();
      expect(commit).toMatch(/^[0-9a-f]{64}$/);
      const writer = new GitNotesReporter(sha256, { now: steppingClock() });
      expect(await writer.report(commit, canary('pending', 'Rolling out'))).toBe(true);
      expect(await writer.report(commit, canary('success', 'Done'))).toBe(true);
      await writer.close();
      const note = await sha256.raw(['notes', '--ref=ringmaster', 'show', commit]);
      expect(note.match(/"ringmaster\/canary"/g)).toHaveLength(2);
      expect(await sha256.raw(['fsck', '--no-progress', '--strict'])).not.toMatch(/error|broken/);
    } finally {
      await removeDir(dir);
    }
  });

  it('lands every one of 20 concurrent reports to the same commit', async () => {
    const descriptions = Array.from({ length: 20 }, (_, i) => `Wave ${i + 1} of 20`);
    const wrote = await Promise.all(descriptions.map((d) => reporter.report(second, canary('pending', d))));

    expect(wrote).toEqual(descriptions.map(() => true));
    const listed = (await reporter.list(second)).map((s) => s.description);
    expect(listed.sort()).toEqual([...descriptions].sort());
  });

  it('serialises the writes of several reporters of one repository, to different commits', async () => {
    // `git notes add` moves the notes ref without checking its old value, so unserialised writes lose notes.
    const commits = [first, second, await commitAll(git, 'third'), await commitAll(git, 'fourth')];
    const reporters = commits.map(
      () => new GitNotesReporter(simpleGit({ baseDir: repo.dir }), { now: steppingClock() }),
    );
    const writes = Array.from({ length: 5 }, (_, i) =>
      commits.map((sha, r) => reporters[r]!.report(sha, canary('pending', `Wave ${i}`))),
    ).flat();
    expect(await Promise.all(writes)).toEqual(writes.map(() => true));

    const counts = await Promise.all(commits.map(async (sha) => (await reporter.list(sha)).length));
    expect(counts).toEqual([5, 5, 5, 5]);
  });

  it('keeps a note text that is not ours, skipping it when reading and appending after it', async () => {
    await writeRawNote(repo, second, 'Deployed by hand, ask Kim.\nSee INC-42.\n');
    expect(await reporter.list(second)).toEqual([]);

    expect(await reporter.report(second, canary('success', 'Done'))).toBe(true);
    expect(await reporter.list(second)).toEqual([{ ...canary('success', 'Done'), createdAt: minute(0) }]);
    expect(await readRawNote(repo, second)).toBe(
      `Deployed by hand, ask Kim.\nSee INC-42.\n${minute(0)} success "ringmaster/canary" "Done"\n`,
    );
  });

  it.each([
    [
      'an unknown state',
      '2026-11-22T10:00:00.000Z bogus "ringmaster/canary" "Done"',
      /state "bogus" is not one of/,
    ],
    [
      'a missing description',
      '2026-11-22T10:00:00.000Z success "ringmaster/canary"',
      /description is missing/,
    ],
    [
      'an unquoted field',
      '2026-11-22T10:00:00.000Z success "ringmaster/canary" Done',
      /expected quoted fields/,
    ],
    ['an unterminated string', '2026-11-22T10:00:00.000Z success "ringmaster/canary" "Do', /expected quoted/],
    ['a fourth field', '2026-11-22T10:00:00.000Z success "a" "b" "http://x" "d"', /more than three quoted/],
  ])(
    'reports a status line with %s as a malformed note, naming commit and line',
    async (_, line, problem) => {
      await writeRawNote(
        repo,
        second,
        `2026-11-22T09:00:00.000Z pending "ringmaster/canary" "Rolling"\n${line}\n`,
      );

      // Started one after the other: a rejection nobody awaits yet would fail the test as unhandled.
      for (const start of [
        () => reporter.list(second),
        () => reporter.report(second, canary('success', 'Done')),
      ]) {
        const attempt = start();
        await expect(attempt).rejects.toThrow(PermanentError);
        await expect(attempt).rejects.toMatchObject({
          reason: 'MalformedStatusNote',
          message: expect.stringMatching(problem),
        });
        await expect(attempt).rejects.toThrow(`note of commit ${second} has a malformed status on line 2`);
      }
    },
  );

  it('keeps the configured identity for its notes commits', async () => {
    await reporter.report(second, canary('success', 'Done'));
    expect(await notesAuthor(git)).toBe('Ringmaster Test <test@ringmaster.invalid>');
  });
});

describe('GitNotesReporter in a repository without a configured identity', () => {
  let home: string;
  let dir: string;

  beforeEach(async () => {
    home = await makeTempDir('ringmaster-home-');
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
    await removeDir(home);
  });

  it('writes its notes as Ringmaster', async () => {
    // An empty HOME hides the global config; useConfigOnly stops git guessing a name from the host.
    const git = simpleGit({ baseDir: dir }).env({ PATH: process.env.PATH ?? '', HOME: home });
    await git.init(['--initial-branch=main']);
    await git.addConfig('user.useConfigOnly', 'true');
    const anon = ['-c', 'user.name=Someone', '-c', 'user.email=someone@example.invalid'];
    await git.raw([...anon, 'commit', '--allow-empty', '-m', 'first']);
    const sha = (await git.revparse(['HEAD'])).trim();
    await expect(git.raw(['var', 'GIT_COMMITTER_IDENT'])).rejects.toThrow(/no email was given/);

    const reporter = new GitNotesReporter(git, { now: steppingClock() });
    expect(await reporter.report(sha, canary('success', 'Done'))).toBe(true);

    expect(await reporter.list(sha)).toEqual([{ ...canary('success', 'Done'), createdAt: minute(0) }]);
    expect(await notesAuthor(git)).toBe('Ringmaster <ringmaster@localhost>');
  });
});
