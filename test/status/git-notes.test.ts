import type { SimpleGit } from 'simple-git';
import { ConfigurationError, NotFoundError, PermanentError } from '../../controller/errors.js';
import { GitNotesReporter } from '../../controller/status/git-notes.js';
import type { CommitStatus } from '../../controller/status/reporter.js';
import { recordGitChildren, removeDir } from '../helpers/git.js';
import { type StatusRepo, canary, createStatusRepo, minute, steppingClock, writeRawNote } from './helpers.js';

describe('GitNotesReporter', () => {
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

  it('lists reported statuses oldest first, stamped by the injected clock', async () => {
    expect(await reporter.report(second, canary('pending', 'Rolling out 2026.11.2 to 3 groups'))).toBe(true);
    const failed: CommitStatus = {
      state: 'failure',
      context: 'ringmaster/canary/globex',
      description: 'Cutover failed; rolled back to 2026.11.1',
      targetUrl: 'https://rm.example/groups/globex',
    };
    expect(await reporter.report(second, failed)).toBe(true);
    expect(await reporter.report(second, canary('failure', '1 of 3 groups failed'))).toBe(true);

    expect(await reporter.list(second)).toEqual([
      { ...canary('pending', 'Rolling out 2026.11.2 to 3 groups'), createdAt: minute(0) },
      { ...failed, createdAt: minute(1) },
      { ...canary('failure', '1 of 3 groups failed'), createdAt: minute(2) },
    ]);
  });

  it('starts its git children once, at the first write, and none for any write after it', async () => {
    const children = recordGitChildren();
    const counted = new GitNotesReporter(git, { now: steppingClock() });
    try {
      await counted.report(first, canary('pending', 'Rolling out'));
      // The repository's layout and git's identity, asked once; the long-lived reader and ref updater.
      const started = children.commands();
      expect(started.filter((c) => /cat-file --batch-command/.test(c))).toHaveLength(1);
      expect(started.filter((c) => /^update-ref .*--stdin$/.test(c))).toHaveLength(1);
      expect(started).toHaveLength(4);
      children.clear();

      for (const description of ['Rolling out', 'Wave 2 of 3', 'Done'])
        expect(await counted.report(second, canary('pending', description))).toBe(true);
      expect(await counted.report(second, canary('pending', 'Done'))).toBe(false);
      expect(children.commands()).toEqual([]);
    } finally {
      children.restore();
      await counted.close();
    }
    // What git itself reads: every status, in order, on each commit.
    expect((await git.raw(['notes', '--ref=ringmaster', 'show', second])).match(/pending/g)).toHaveLength(3);
    expect(await git.raw(['notes', '--ref=ringmaster', 'show', first])).toContain('Rolling out');
  });

  it('round-trips descriptions with quotes, backslashes, line breaks and non-ASCII text', async () => {
    const description = 'Group "globex" \\ cutover: failed\nrolled back – ok ✅\u2028done';
    await reporter.report(second, canary('error', description));
    const [status] = await reporter.list(second);
    expect(status?.description).toBe(description);
  });

  it('skips a status whose state and description equal the latest of its context, but writes a change', async () => {
    expect(await reporter.report(second, canary('pending', 'Rolling out'))).toBe(true);
    expect(await reporter.report(second, canary('pending', 'Rolling out'))).toBe(false);
    expect(await reporter.report(second, canary('pending', 'Rolling out', 'https://rm.example/x'))).toBe(
      false,
    );
    expect(await reporter.report(second, canary('pending', 'Rolling out: wave 2 of 3'))).toBe(true);
    expect(await reporter.report(second, canary('success', 'Rolling out: wave 2 of 3'))).toBe(true);
    expect(await reporter.report(second, canary('pending', 'Rolling out'))).toBe(true);

    const described = (await reporter.list(second)).map((s) => `${s.state} ${s.description}`);
    expect(described).toEqual([
      'pending Rolling out',
      'pending Rolling out: wave 2 of 3',
      'success Rolling out: wave 2 of 3',
      'pending Rolling out',
    ]);
  });

  it('gives the newest status of each context', async () => {
    await reporter.report(second, canary('pending', 'Rolling out'));
    await reporter.report(second, {
      state: 'failure',
      context: 'ringmaster/canary/globex',
      description: 'Failed',
    });
    await reporter.report(second, canary('success', 'All groups on 2026.11.2'));

    const latest = await reporter.latest(second);
    expect([...latest.keys()]).toEqual(['ringmaster/canary', 'ringmaster/canary/globex']);
    expect(latest.get('ringmaster/canary')).toEqual({
      ...canary('success', 'All groups on 2026.11.2'),
      createdAt: minute(2),
    });
    expect(latest.get('ringmaster/canary/globex')?.description).toBe('Failed');
  });

  it('keeps the statuses of different commits apart', async () => {
    await reporter.report(first, canary('success', 'First is out'));
    await reporter.report(second, canary('pending', 'Second rolling'));

    expect((await reporter.list(first)).map((s) => s.description)).toEqual(['First is out']);
    expect((await reporter.list(second)).map((s) => s.description)).toEqual(['Second rolling']);
    expect(await reporter.report(second, canary('success', 'First is out'))).toBe(true);
  });

  it('resolves a revision name to its commit and answers an unknown one with NotFoundError', async () => {
    await reporter.report('HEAD', canary('success', 'Done'));
    expect((await reporter.list(second)).map((s) => s.description)).toEqual(['Done']);
    await expect(reporter.list('no-such-branch')).rejects.toThrow(NotFoundError);
  });

  it('writes a note that `git log --notes=ringmaster` shows readably', async () => {
    await reporter.report(second, canary('pending', 'Rolling out 2026.11.2 to 3 groups'));
    await reporter.report(
      second,
      canary('success', '3 of 3 groups on 2026.11.2', 'https://rm.example/rings/canary'),
    );

    const log = await git.raw(['log', '--notes=ringmaster', '-1', second]);
    expect(log).toContain('Notes (ringmaster):');
    expect(log).toContain(`${minute(0)} pending "ringmaster/canary" "Rolling out 2026.11.2 to 3 groups"`);
    expect(log).toContain(
      `${minute(1)} success "ringmaster/canary" "3 of 3 groups on 2026.11.2" "https://rm.example/rings/canary"`,
    );
  });

  const tooLong = (n: number) => 'x'.repeat(n);
  it.each<[string, Record<string, string>, string, RegExp]>([
    ['an unknown state', { state: 'ok' }, 'InvalidStatusState', /state "ok" must be one of error, failure/],
    ['an empty context', { context: '' }, 'InvalidStatusContext', /context must not be empty/],
    [
      'a context over 255',
      { context: tooLong(256) },
      'InvalidStatusContext',
      /context is 256 characters, at most 255/,
    ],
    [
      'a description over 140',
      { description: tooLong(141) },
      'InvalidStatusDescription',
      /description is 141 characters, at most 140 .*fitDescription/,
    ],
    [
      'an ftp targetUrl',
      { targetUrl: 'ftp://rm.example/x' },
      'InvalidStatusTargetUrl',
      /must be an http or https URL/,
    ],
    [
      'a targetUrl that is no URL',
      { targetUrl: 'rm.example/x' },
      'InvalidStatusTargetUrl',
      /"rm.example\/x" must be/,
    ],
  ])(
    'refuses %s with a ConfigurationError naming the rule, writing nothing',
    async (_, patch, reason, message) => {
      const status = { ...canary('pending', 'Rolling out'), ...patch } as CommitStatus;
      const report = reporter.report(second, status);
      await expect(report).rejects.toThrow(ConfigurationError);
      await expect(report).rejects.toMatchObject({ reason, message: expect.stringMatching(message) });
      expect(await reporter.list(second)).toEqual([]);
    },
  );

  it('accepts statuses exactly at the limits', async () => {
    const status = {
      state: 'success',
      context: tooLong(255),
      description: tooLong(140),
      targetUrl: 'http://localhost:8080/status',
    } as const;
    expect(await reporter.report(second, status)).toBe(true);
    expect(await reporter.list(second)).toEqual([{ ...status, createdAt: minute(0) }]);
  });

  it('refuses the 1001st status of a context while another context still accepts', async () => {
    const seeded = Array.from(
      { length: 1000 },
      (_, i) => `${minute(i)} pending "ringmaster/canary" "Wave ${i + 1}"`,
    ).join('\n');
    await writeRawNote(repo, second, seeded);
    expect(await reporter.list(second)).toHaveLength(1000);

    const refused = reporter.report(second, canary('success', 'Done'));
    await expect(refused).rejects.toThrow(PermanentError);
    await expect(refused).rejects.toMatchObject({
      reason: 'StatusLimitReached',
      message: expect.stringContaining(`${second} already has 1000 statuses for context "ringmaster/canary"`),
    });
    expect(await reporter.report(second, canary('pending', 'Wave 1000'))).toBe(false);
    const group = { state: 'failure', context: 'ringmaster/canary/globex', description: 'Failed' } as const;
    expect(await reporter.report(second, group)).toBe(true);

    const statuses = await reporter.list(second);
    expect(statuses).toHaveLength(1001);
    expect(statuses.at(-1)).toEqual({ ...group, createdAt: minute(0) });
  });
});
