/**
 * When the rings' commit statuses are written. Progress is written at most
 * once a second (a timer), but a newly followed commit, and the end of the
 * last transition under way in a ring, are written at once: the people who
 * merged a commit see it read, and see it done, without waiting for the timer.
 * Here the timer's interval is an hour: once the first write is made, every
 * status this test sees was written without it.
 */
import { pino } from 'pino';
import type { EngineParts } from '../../controller/engine/run-transition.js';
import { LiveController } from '../../controller/loop/live-controller.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import type { CommitStatus } from '../../controller/status/reporter.js';
import { instantClock } from '../fakes/manual-clock.js';
import { MemoryReporter } from '../fakes/memory-reporter.js';
import { createFakeProviders } from '../fakes/providers.js';
import { type FixtureRepo, createFixtureRepo, loadFixture } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);

type Written = CommitStatus & { commit: string };

/** A MemoryReporter that can be awaited for a status. */
class WatchedReporter extends MemoryReporter {
  #waiting: { match: (s: Written) => boolean; resolve: () => void }[] = [];

  override async report(commit: string, status: CommitStatus): Promise<boolean> {
    const wrote = await super.report(commit, status);
    this.#waiting = this.#waiting.filter((w) => !(w.match({ commit, ...status }) && (w.resolve(), true)));
    return wrote;
  }

  /** Resolves once a status matching `match` is written (at once if one was). */
  until(match: (s: Written) => boolean): Promise<void> {
    if (this.written.some(match)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ match, resolve }));
  }
}

describe('writing the rings’ commit statuses', () => {
  let repo: FixtureRepo;
  let state: FileStateStore;
  let journal: FileJournalStore;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = new FileStateStore(`${repo.dir}/.ringmaster`);
    journal = new FileJournalStore(`${repo.dir}/.ringmaster/journal`);
  });
  afterEach(async () => {
    await state.close();
    await journal.close();
    await removeDir(repo.dir);
  });

  it('writes a new commit’s statuses and the end of a ring’s last transition without waiting for the timer', async () => {
    const clock = instantClock(new Date('2026-11-22T01:30:00Z'));
    const fake = createFakeProviders();
    // shared-1's observe check is held, as a slow health query would be, until the test lets it go.
    const check = fake.providers.health.check.bind(fake.providers.health);
    let release: (() => void) | undefined;
    let reached: (() => void) | undefined;
    const observing = new Promise<void>((resolve) => (reached = resolve));
    let hold = false;
    fake.providers.health.check = async (ctx, ...rest) => {
      if (hold && ctx.group === 'shared-1' && ctx.step === 'observe') {
        hold = false;
        reached!();
        await new Promise<void>((resolve) => (release = resolve));
      }
      return check(ctx, ...rest);
    };
    const engine: EngineParts = {
      providers: fake.providers,
      journal,
      now: () => clock.now(),
      sleep: (ms) => clock.sleep(ms),
      healthIntervalMs: 60_000,
      retry: { retries: 0, minTimeoutMs: 0, maxTimeoutMs: 0 },
      log: pino({ level: 'silent' }),
    };
    const reporter = new WatchedReporter();
    const watched = new LiveController({
      engine,
      state,
      clock,
      workers: 8,
      log: engine.log,
      reporter,
      statusEveryMs: 60 * 60 * 1000,
    });
    const early = (commit: string, state?: string) => (s: Written) =>
      s.commit === commit && s.context === 'ringmaster/early' && (state === undefined || s.state === state);

    await watched.look({ constellation: await loadFixture(repo.dir), commit: C1 });
    await reporter.until(early(C1));
    await watched.settled();

    // early to 2026.11.1: shared-1 rolls until its observe check, which is held.
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    hold = true;
    await watched.look({ constellation: await loadFixture(repo.dir), commit: C2 });
    await observing;
    // The new commit was written as it was read, while its transition is under way.
    await reporter.until(early(C2));
    expect(reporter.written.filter(early(C2)).map((s) => s.state)).toEqual(['pending']);

    // The ring's last transition ends: its success is written at once.
    release!();
    await reporter.until(early(C2, 'success'));
    expect(reporter.written.filter(early(C2)).map((s) => s.state)).toEqual(['pending', 'success']);
    await watched.stop();
  }, 15_000);
});
