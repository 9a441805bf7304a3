/**
 * When the rings' commit statuses are written. Progress is written at most
 * once a second (a timer), but a newly followed commit, and the end of the
 * last transition under way in a ring, are written at once: the people who
 * merged a commit see it read, and see it done, without waiting for the timer.
 * Here the timer's interval is an hour: once the first write is made, every
 * status this test sees was written without it.
 */
import { LiveController } from '../../controller/loop/live-controller.js';
import type { CommitStatus } from '../../controller/status/reporter.js';
import { instantClock } from '../fakes/manual-clock.js';
import { MemoryReporter } from '../fakes/memory-reporter.js';
import { createFakeProviders } from '../fakes/providers.js';
import { loadFixture } from '../helpers/constellation.js';
import {
  type LiveFixture,
  holdHealthCheck,
  instantEngine,
  openLiveFixture,
} from '../helpers/live-controller.js';

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
  let fixture: LiveFixture;
  beforeEach(async () => {
    fixture = await openLiveFixture();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('writes a new commit’s statuses and the end of a ring’s last transition without waiting for the timer', async () => {
    const { repo, state, journal } = fixture;
    const clock = instantClock(new Date('2026-11-22T01:30:00Z'));
    const fake = createFakeProviders();
    const observe = holdHealthCheck(fake.providers, 'shared-1', 'observe');
    const engine = instantEngine(fake.providers, journal, clock);
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
    observe.arm();
    await watched.look({ constellation: await loadFixture(repo.dir), commit: C2 });
    await observe.reached;
    // The new commit was written as it was read, while its transition is under way.
    await reporter.until(early(C2));
    expect(reporter.written.filter(early(C2)).map((s) => s.state)).toEqual(['pending']);

    // The ring's last transition ends: its success is written at once.
    observe.release();
    await reporter.until(early(C2, 'success'));
    expect(reporter.written.filter(early(C2)).map((s) => s.state)).toEqual(['pending', 'success']);
    await watched.stop();
  }, 15_000);
});
