/**
 * Which commit gets which status when the controller looks at the branch: a
 * head that does not validate, one refused for lack of approval, a rewritten
 * history, approvals GitHub could not judge, commits passed over, and a head
 * followed as it is. Each is told once (a status and one log line), not at
 * every look; the commit followed meanwhile goes on. The ring and group
 * statuses of the work itself: test/engine/reconcile.test.ts and
 * test/cli/controller.test.ts.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { BranchLook } from '../../controller/loop/branch-look.js';
import type { DesiredRead } from '../../controller/loop/desired-read.js';
import { LiveController } from '../../controller/loop/live-controller.js';
import type { Constellation } from '../../controller/model/types.js';
import { CommitLog } from '../../controller/state/commit-log.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { MemoryReporter } from '../fakes/memory-reporter.js';
import { createFakeProviders } from '../fakes/providers.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { type FixtureRepo, createFixtureRepo, loadFixture } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

const FOLLOWED = 'f'.repeat(40);
const HEAD = 'e'.repeat(40);
const OLDER = 'a'.repeat(40);
const UNAPPROVED = 'b'.repeat(40);

const short = (c: string) => c.slice(0, 12);
const INVALID_ERROR = 'groups/rings.yaml:8:14: "not a release" is not a release [schema]';

/** Each kind of read, and the statuses it gets: `commit context state description`. */
const CASES: [string, Partial<DesiredRead>, string[]][] = [
  ['a head followed as it is', {}, []],
  [
    'a head that does not validate',
    { invalid: { commit: HEAD, errors: [INVALID_ERROR] } },
    [`${short(HEAD)} ringmaster/validate error not applied: 1 validation errors; first: ${INVALID_ERROR}`],
  ],
  [
    'a head after a commit that lacks approval',
    { refused: { head: HEAD, commit: UNAPPROVED, reason: 'not merged through a pull request' } },
    [
      `${short(UNAPPROVED)} ringmaster error not merged through a pull request`,
      `${short(HEAD)} ringmaster error not applied: ${UNAPPROVED.slice(0, 7)} before it lacks approval: not merged through a pull request`,
    ],
  ],
  [
    'a rewritten history',
    { rewritten: HEAD },
    [
      `${short(HEAD)} ringmaster error history rewritten: not applied; an operator runs ringmaster accept-history ${short(HEAD)} to follow it`,
    ],
  ],
  ['a head whose approvals GitHub could not judge', { unjudged: HEAD }, []],
  [
    'commits passed over for a newer one',
    { superseded: [OLDER] },
    [
      `${short(OLDER)} ringmaster success superseded by ${short(FOLLOWED)} before it was applied; its changes roll out with that commit`,
    ],
  ],
];

describe('the look at the branch', () => {
  let repo: FixtureRepo;
  let constellation: Constellation;
  let opened: (FileStateStore | FileJournalStore)[];
  beforeAll(async () => {
    repo = await createFixtureRepo();
    constellation = await loadFixture(repo.dir);
  });
  afterAll(async () => {
    await removeDir(repo.dir);
  });
  beforeEach(() => {
    opened = [];
  });
  afterEach(async () => {
    await Promise.all(opened.map((o) => o.close()));
  });

  /** A look over `read` (the commit followed is FOLLOWED) with a controller that starts no work. */
  function lookOver(read: Partial<DesiredRead>, dir: string) {
    const reporter = new MemoryReporter();
    const lines: { msg: string; problem?: string }[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const state = new FileStateStore(dir);
    const journal = new FileJournalStore(`${dir}/journal`);
    opened.push(state, journal);
    const clock = new ManualClock(new Date('2026-11-22T01:30:00Z'));
    // Stopped from the start: the look is judged on what it says, not on work it starts.
    const stopped = new AbortController();
    stopped.abort();
    const controller = new LiveController({
      engine: {
        providers: createFakeProviders().providers,
        journal,
        now: () => clock.now(),
        sleep: (ms) => clock.sleep(ms),
        signal: stopped.signal,
        healthIntervalMs: 60_000,
        retry: { retries: 0, minTimeoutMs: 0, maxTimeoutMs: 0 },
        log,
      },
      state,
      clock,
      workers: 4,
      log,
    });
    const full: DesiredRead = {
      commit: FOLLOWED,
      committedAt: clock.now(),
      constellation,
      errors: [],
      superseded: [],
      accept: async () => {},
      ...read,
    };
    const told: string[] = [];
    const commits = new CommitLog(`${dir}/commits.json`);
    const branch = new BranchLook({
      controller,
      readDesired: async () => full,
      reporter,
      log,
      clock,
      saveClock: async () => {},
      commitLog: commits,
      onHead: (head) => told.push(`${head.problem} ${short(head.commit)}`),
    });
    const statuses = () =>
      reporter.written.map((s) => `${short(s.commit)} ${s.context} ${s.state} ${s.description}`);
    const logged = () => lines.filter((l) => l.msg === 'Head not followed').map((l) => l.problem);
    const recorded = async () => (await commits.list()).map((c) => `${c.outcome} ${short(c.commit)}`);
    return { branch, controller, statuses, logged, told, recorded };
  }

  it.each(CASES)(
    'writes the statuses of %s, once, and follows the commit it followed',
    async (_, read, expected) => {
      const dir = `${repo.dir}/.state-${CASES.findIndex((c) => c[1] === read)}`;
      const look = lookOver(read, dir);
      const first = await look.branch.look();
      expect(first.followed?.commit).toBe(FOLLOWED);
      expect(look.statuses()).toEqual(expected);
      const problem = first.head?.problem;
      expect(look.logged()).toEqual(problem ? [problem] : []);
      expect(look.told).toEqual(problem ? [`${problem} ${short(first.head!.commit)}`] : []);
      // Looking again at the same branch tells nothing new, and writes no status again.
      await look.branch.look();
      expect(look.logged()).toEqual(problem ? [problem] : []);
      expect(look.told).toHaveLength(problem ? 1 : 0);
      expect(look.statuses()).toEqual(expected);
      expect(look.controller.status().head?.problem).toBe(problem);
      // The commit log, newest first: a head not followed, the commit followed, those passed over.
      expect(await look.recorded()).toEqual([
        ...(problem ? [`${problem} ${short(first.head!.commit)}`] : []),
        `followed ${short(FOLLOWED)}`,
        ...(read.superseded ?? []).map((c) => `superseded ${short(c)}`),
      ]);
      await look.controller.stop();
    },
  );

  it('tells of an invalid head with nothing followed yet, and follows nothing', async () => {
    const look = lookOver(
      { constellation: undefined, commit: HEAD, errors: [INVALID_ERROR] },
      `${repo.dir}/.state-nothing`,
    );
    const result = await look.branch.look();
    expect(result).toEqual({ head: expect.objectContaining({ commit: HEAD, problem: 'invalid' }) });
    expect(look.statuses()).toEqual([
      `${short(HEAD)} ringmaster/validate error not applied: 1 validation errors; first: ${INVALID_ERROR}`,
    ]);
    expect(look.controller.ready).toBe(false);
  });
});
