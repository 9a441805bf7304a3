/**
 * A transition waiting for a person on an inconclusive measurement, in the
 * live controller: a Retry that arrives with a commit wakes it once and it
 * measures again; later looks (the Retry still on the branch) leave the wait
 * alone; an Approval lets it go on.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LiveController } from '../../controller/loop/live-controller.js';
import { instantClock } from '../fakes/manual-clock.js';
import { createFakeProviders } from '../fakes/providers.js';
import { loadFixture } from '../helpers/constellation.js';
import { type LiveFixture, instantEngine, openLiveFixture } from '../helpers/live-controller.js';

const [C1, C2, C3, C4] = ['1', '2', '3', '4'].map((c) => c.repeat(40)) as [string, string, string, string];
const ID = `internal@${C1.slice(0, 12)}`;

const ANALYSIS =
  'health:\n  gracePeriod: 1m\n  observe: 2m\n  analysis:\n    - { name: error-rate, query: "sum(errors)", max: 0.01, during: [observe] }\n';

describe('a transition waiting on an inconclusive measurement', () => {
  let fixture: LiveFixture;
  beforeEach(async () => {
    fixture = await openLiveFixture();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('measures again once per Retry that arrives, leaves the wait alone at other looks, and goes on when approved', async () => {
    const clock = instantClock(new Date('2026-11-23T10:00:00Z'));
    const fake = createFakeProviders();
    fake.world.measurements.set('error-rate', [{ inconclusive: 'no data' }]);
    const { repo, state, journal } = fixture;
    const engine = instantEngine(fake.providers, journal, clock);
    const events: string[] = [];
    const watched = new LiveController({
      engine,
      state,
      clock,
      workers: 8,
      log: engine.log,
      onTransition: (e) => {
        if (e.group === 'internal') events.push(e.status);
      },
    });
    const measuredInternal = () => fake.world.measured.length;

    await repo.edit('policies/promotion.yaml', '\nfreeze:', `\n${ANALYSIS}freeze:`);
    await watched.look({ constellation: await loadFixture(repo.dir), commit: C1 });
    await watched.settled();
    expect(events).toEqual(['waiting']);
    const first = measuredInternal();
    expect(first).toBeGreaterThan(0);

    await mkdir(join(repo.dir, 'groups/retries'), { recursive: true });
    await mkdir(join(repo.dir, 'groups/approvals'), { recursive: true });
    await repo.write(`groups/retries/${ID}.yaml`, `apiVersion: ringmaster/v1\nkind: Retry\nretry: "${ID}"\n`);
    const withRetry = await loadFixture(repo.dir);
    await watched.look({ constellation: withRetry, commit: C2 });
    await watched.settled();
    // Woken once by the Retry: one more measurement of each group waiting on one, still no data.
    expect(events).toEqual(['waiting', 'waiting']);
    expect(measuredInternal()).toBeGreaterThan(first);
    const second = measuredInternal();

    // The Retry is still on the branch at the next look: it is spent, nothing runs.
    await watched.look({ constellation: withRetry, commit: C3 });
    await watched.settled();
    expect(events).toEqual(['waiting', 'waiting']);
    expect(measuredInternal()).toBe(second);

    await repo.write(
      `groups/approvals/${ID}.yaml`,
      `apiVersion: ringmaster/v1\nkind: Approval\ntransition: "${ID}"\n`,
    );
    await watched.look({ constellation: await loadFixture(repo.dir), commit: C4 });
    await watched.settled({ scheduled: true });
    expect(events.at(-1)).toBe('succeeded');
    await watched.stop();
  });
});
