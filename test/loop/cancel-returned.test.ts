/**
 * A newer commit that returns a ring to the release a group runs undoes that
 * group's transition under way, at its next pause, instead of finishing it
 * and planning the way back: the group keeps what it ran, is not held, the
 * ring's failure budget is untouched, and a later commit asking for the same
 * release again rolls it out.
 */
import { LiveController } from '../../controller/loop/live-controller.js';
import { instantClock } from '../fakes/manual-clock.js';
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
const C3 = '3'.repeat(40);
const C4 = '4'.repeat(40);

describe('a commit returning a ring to the release its groups run', () => {
  let fixture: LiveFixture;
  beforeEach(async () => {
    fixture = await openLiveFixture();
  });
  afterEach(async () => {
    await fixture.close();
  });

  const desired = () => loadFixture(fixture.repo.dir);

  it("undoes the group's transition at its next pause, holds nothing, and lets the release come again", async () => {
    // Time passes only when the controller waits for it (a health interval), at once.
    const clock = instantClock(new Date('2026-11-22T01:30:00Z'));
    const fake = createFakeProviders();
    const { repo, state, journal } = fixture;
    // shared-1's observe checks are held at the one asked for, as a slow health query would be.
    const observe = holdHealthCheck(fake.providers, 'shared-1', 'observe');
    const engine = instantEngine(fake.providers, journal, clock);
    const ended: string[] = [];
    const watched = new LiveController({
      engine,
      state,
      clock,
      workers: 8,
      log: engine.log,
      onTransition: (e) => {
        if (e.status !== 'waiting') ended.push(`${e.id} ${e.status}${e.reason ? `: ${e.reason}` : ''}`);
      },
    });

    const base = await desired();
    await watched.look({ constellation: base, commit: C1 });
    await watched.settled();
    const before = (await state.loadApplied())!.groups['shared-1']!;
    expect(before.snapshot?.release).toBe('2026.11.0');
    const activeBefore = fake.world.active.get('eu-1/shared-1');
    expect(activeBefore).toBeDefined();

    // early to 2026.11.1: shared-1 rolls until its first observe check, which hangs.
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const promoted = await desired();
    observe.arm();
    await watched.look({ constellation: promoted, commit: C2 });
    await observe.reached;
    expect(watched.status().groups.find((g) => g.name === 'shared-1')).toMatchObject({
      state: 'progressing',
      step: 'observe',
    });

    // The ring goes back to 2026.11.0 while the check is under way: once it returns, the transition is undone.
    await watched.look({ constellation: base, commit: C3 });
    observe.release();
    await watched.settled();
    const id = `shared-1@${C2.slice(0, 12)}`;
    expect(ended).toContain(
      `${id} rolled-back: superseded: commit ${C3.slice(0, 12)} asks again for what shared-1 runs`,
    );
    const entry = await journal.load(id);
    expect(entry).toMatchObject({ status: 'rolled-back', cancelled: true });
    // Both steps that changed the world were undone (the journal lists steps in their order).
    expect(entry!.steps.filter((s) => s.status === 'compensated').map((s) => s.name)).toEqual([
      'prepare',
      'cutover',
    ]);
    const after = (await state.loadApplied())!.groups['shared-1']!;
    // As it was, but for the snapshot taken before the migration: undoing keeps the data layout, so it is kept.
    expect(after).toEqual({
      ...before,
      backup: { snapshot: `test-shared-1-411-${C2.slice(0, 12)}`, schemaVersion: 411, transition: id },
    });
    // Traffic went back to the colour it was on, and the new colour's stack is gone.
    expect(fake.world.active.get('eu-1/shared-1')).toBe(activeBefore);
    expect([...(fake.world.stacks.get('eu-1/shared-1')?.keys() ?? [])]).toEqual([activeBefore]);
    const status = watched.status();
    expect(status.groups.find((g) => g.name === 'shared-1')).toMatchObject({
      state: 'ready',
      appliedRelease: '2026.11.0',
    });
    expect(status.rings.find((r) => r.name === 'early')).toMatchObject({ state: 'done', failed: 0 });

    // Asked for again by a later commit, 2026.11.1 rolls out: nothing holds it.
    await watched.look({ constellation: promoted, commit: C4 });
    await watched.settled();
    expect(ended).toContain(`shared-1@${C4.slice(0, 12)} succeeded`);
    expect((await state.loadApplied())!.groups['shared-1']!.snapshot?.release).toBe('2026.11.1');
    await watched.stop();
  });
});
