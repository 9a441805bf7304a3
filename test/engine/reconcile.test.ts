import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { reconcileOnce } from '../helpers/reconcile-once.js';
import type { EngineDeps } from '../../controller/engine/run-transition.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import type { CommitStatus } from '../../controller/status/reporter.js';
import { MemoryReporter } from '../fakes/memory-reporter.js';
import { createFakeProviders } from '../fakes/providers.js';
import { type FixtureRepo, createFixtureRepo, loadFixture } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);

describe('reconcileOnce', () => {
  let repo: FixtureRepo;
  let now: Date;
  let fake: ReturnType<typeof createFakeProviders>;
  let reporter: MemoryReporter;
  let store: FileStateStore;
  /** The state store and journals a test opened: closed (ended files written) before the folder goes. */
  let opened: (FileStateStore | FileJournalStore)[];

  beforeEach(async () => {
    repo = await createFixtureRepo();
    now = new Date('2026-11-22T01:30:00Z'); // a Sunday, inside globex's 02:00-06:00 Berlin window
    fake = createFakeProviders();
    reporter = new MemoryReporter();
    opened = [];
    store = new FileStateStore(`${repo.dir}/.ringmaster`);
    opened.push(store);
  });
  afterEach(async () => {
    await Promise.all(opened.map((o) => o.close()));
    await removeDir(repo.dir);
  });
  const openJournal = () => {
    const journal = new FileJournalStore(`${repo.dir}/.ringmaster/journal`);
    opened.push(journal);
    return journal;
  };

  const desired = () => loadFixture(repo.dir);

  function deps() {
    const engine: EngineDeps = {
      providers: fake.providers,
      journal: openJournal(),
      constellation: 'test',
      now: () => now,
      // Sleeping moves the test clock: time passes only when the engine waits.
      sleep: async (ms) => void (now = new Date(now.getTime() + ms)),
      healthIntervalMs: 60_000,
      isApproved: async () => true,
      retry: { retries: 2, minTimeoutMs: 0, maxTimeoutMs: 0 },
      log: pino({ level: 'silent' }),
    };
    return { engine, state: store, reporter };
  }

  const states = async () =>
    Object.fromEntries(
      (await reconcileOnce(await desired(), C2, deps())).status.groups.map((g) => [g.name, g.state]),
    );

  it('brings up every group of a new constellation and reports success per ring', async () => {
    const report = await reconcileOnce(await desired(), C1, deps());
    expect(report.status.groups.map((g) => `${g.name}:${g.state}:${g.appliedRelease}`)).toEqual([
      'internal:ready:2026.11.1',
      'shared-1:ready:2026.11.0',
      'globex:ready:2026.10.4',
    ]);
    // Each ring says pending as its rollout starts, then how it ended. The rings' groups run independently,
    // so how the rings' statuses interleave is not fixed: each ring's own sequence is.
    const ofRing = (ring: string) =>
      reporter.written
        .filter((s) => s.context === `ringmaster/${ring}`)
        .map((s) => `${s.state} ${s.description}`);
    expect(ofRing('canary')).toEqual([
      'pending canary: 0/1 groups on 2026.11.1',
      'success canary: 1/1 groups on 2026.11.1',
    ]);
    expect(ofRing('early')).toEqual([
      'pending early: 0/1 groups on 2026.11.0',
      'success early: 1/1 groups on 2026.11.0',
    ]);
    expect(ofRing('stable')).toEqual([
      'pending stable: 0/1 groups on 2026.10.4',
      'success stable: 1/1 groups on 2026.10.4',
    ]);
    expect(reporter.written).toHaveLength(6);
    const applied = await store.loadApplied();
    expect(applied!.groups['globex']!.commit).toBe(C1);
  });

  it('rolls a promotion through its ring and nothing else', async () => {
    await reconcileOnce(await desired(), C1, deps());
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const report = await reconcileOnce(await desired(), C2, deps());
    expect(report.ran.map((e) => `${e.id}:${e.status}`)).toEqual([`shared-1@${C2.slice(0, 12)}:succeeded`]);
    expect(reporter.written.filter((s) => s.commit === C2).map((s) => `${s.context} ${s.state}`)).toEqual([
      'ringmaster/early pending',
      'ringmaster/early success',
    ]);
  });

  it('rolls a failed group back, holds the commit for it and reports the failure', async () => {
    await reconcileOnce(await desired(), C1, deps());
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    fake.world.unhealthy.add('verify');
    const report = await reconcileOnce(await desired(), C2, deps());
    expect(report.ran.map((e) => e.status)).toEqual(['rolled-back']);
    expect(report.status.groups.find((g) => g.name === 'shared-1')).toEqual(
      expect.objectContaining({ state: 'held', appliedRelease: '2026.11.0' }),
    );
    expect(reporter.written.filter((s) => s.commit === C2).map((s) => `${s.context} ${s.state}`)).toEqual([
      'ringmaster/early pending',
      'ringmaster/early failure',
      'ringmaster/early/shared-1 failure',
    ]);
    fake.world.unhealthy.clear();
    const again = await reconcileOnce(await desired(), C2, deps());
    expect(again.ran).toEqual([]);
    expect(again.plan.blocked.map((b) => `${b.group}:${b.reason}`)).toEqual(['shared-1:held']);
  });

  it('keeps a group whose first deployment failed as not deployed: held, failed, no bake evidence, retried when changed', async () => {
    fake.world.setScript({ verify: ['permanent'] });
    const report = await reconcileOnce(await desired(), C1, deps());
    expect(report.ran.map((e) => e.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
    expect(
      report.status.groups.map((g) => `${g.name}:${g.state}:${g.appliedRelease ?? '-'}:${g.reason}`),
    ).toEqual([
      'internal:held:-:not deployed: verify failed: fake permanent failure in verify',
      'shared-1:held:-:not deployed: verify failed: fake permanent failure in verify',
      'globex:held:-:not deployed: verify failed: fake permanent failure in verify',
    ]);
    expect(report.status.rings.map((r) => `${r.name}:${r.onRelease}/${r.groups}:${r.failed}`)).toEqual([
      'canary:0/1:1',
      'early:0/1:1',
      'stable:0/1:1',
    ]);
    // No ring is healthy on its release: nothing here is evidence for a bake.
    expect((await store.loadRecords()).rings.map((r) => `${r.ring}:${r.healthyAt ?? 'not healthy'}`)).toEqual(
      ['canary:not healthy', 'early:not healthy', 'stable:not healthy'],
    );
    expect(reporter.written.filter((s) => s.context === 'ringmaster/canary').map((s) => s.state)).toEqual([
      'pending',
      'failure',
    ]);

    fake.world.setScript({});
    const again = await reconcileOnce(await desired(), C1, deps());
    expect(again.ran).toEqual([]);
    expect(again.plan.upToDate).toBe(0);
    expect(
      again.plan.blocked.map((b) => `${b.group}:${b.reason}:${b.message.includes('nothing deployed')}`),
    ).toEqual(['globex:held:true', 'internal:held:true', 'shared-1:held:true']);

    // A newer commit that changes the group creates it again; one that does not leaves it held.
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const retried = await reconcileOnce(await desired(), C2, deps());
    expect(retried.ran.map((e) => `${e.group}:${e.status}`)).toEqual(['shared-1:succeeded']);
    expect(retried.status.groups.map((g) => `${g.name}:${g.state}:${g.appliedRelease ?? '-'}`)).toEqual([
      'internal:held:-',
      'shared-1:ready:2026.11.1',
      'globex:held:-',
    ]);
  });

  it('forgets a group that never deployed once its file is removed, with nothing to retire', async () => {
    fake.world.setScript({ verify: ['permanent'] });
    await reconcileOnce(await desired(), C1, deps());
    fake.world.setScript({});
    await repo.edit('policies/promotion.yaml', /\n$/, '\ndecommission: true\n');
    await rm(join(repo.dir, 'groups', 'shared-1.yaml'));
    const calls = fake.world.calls.length;
    const report = await reconcileOnce(await desired(), C2, deps());
    expect(report.plan.transitions.map((t) => t.group)).toEqual([]);
    expect(fake.world.calls.slice(calls)).toEqual([]);
    expect(Object.keys((await store.loadApplied())!.groups).sort()).toEqual(['globex', 'internal']);
  });

  it('makes an upgrade wait while the release bakes in the previous ring, with the reason', async () => {
    await reconcileOnce(await desired(), C1, deps());
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.11.0"');
    const report = await reconcileOnce(await desired(), C2, deps());
    expect(report.ran).toEqual([]);
    expect(report.waiting).toEqual([{ group: 'globex', reason: 'baking in early: 0h of 24h' }]);
    expect(report.status.rings.find((r) => r.name === 'stable')).toEqual(
      expect.objectContaining({ state: 'waiting', reason: 'baking in early: 0h of 24h' }),
    );
    now = new Date('2026-11-29T01:30:00Z'); // a week later, Sunday in the window again
    expect(await states()).toEqual({ internal: 'ready', 'shared-1': 'ready', globex: 'ready' });
  });

  it('waits for the maintenance window of a group in a window ring', async () => {
    await reconcileOnce(await desired(), C1, deps());
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.11.0"');
    now = new Date('2026-11-24T12:00:00Z'); // Tuesday: baked two days, window closed
    const report = await reconcileOnce(await desired(), C2, deps());
    expect(report.waiting).toEqual([
      { group: 'globex', reason: 'outside maintenance window; next opens 2026-11-29T01:00:00.000Z' },
    ]);
  });

  it('holds promotions during a freeze, saying until when', async () => {
    await reconcileOnce(await desired(), C1, deps());
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    now = new Date('2026-12-24T10:00:00Z');
    const report = await reconcileOnce(await desired(), C2, deps());
    expect(report.waiting).toEqual([{ group: 'shared-1', reason: 'freeze year-end until 2027-01-04' }]);
  });

  describe('every ring status it turns pending ends', () => {
    /** With `failFinal`, fails every final status: written pending, never ended, as after a crash. */
    class FlakyReporter extends MemoryReporter {
      failFinal = false;
      override async report(commit: string, status: CommitStatus): Promise<boolean> {
        if (this.failFinal && status.state !== 'pending') throw new Error('GitHub is down');
        return super.report(commit, status);
      }
    }
    const ringStates = (commit: string, r: MemoryReporter = reporter) =>
      Object.fromEntries(
        r.written
          .filter((s) => s.commit === commit && s.context.split('/').length === 2)
          .map((s) => [s.context, s.state]),
      );

    it('writes the final status at a later look when it could not be written before, with nothing left to run', async () => {
      const flaky = new FlakyReporter();
      reporter = flaky;
      flaky.failFinal = true;
      await reconcileOnce(await desired(), C1, deps());
      expect(ringStates(C1)).toEqual({
        'ringmaster/canary': 'pending',
        'ringmaster/early': 'pending',
        'ringmaster/stable': 'pending',
      });
      flaky.failFinal = false;
      const again = await reconcileOnce(await desired(), C1, deps());
      expect(again.ran).toEqual([]);
      expect(ringStates(C1)).toEqual({
        'ringmaster/canary': 'success',
        'ringmaster/early': 'success',
        'ringmaster/stable': 'success',
      });
      // Ended: the next look has nothing more to say.
      const count = flaky.written.length;
      await reconcileOnce(await desired(), C1, deps());
      expect(flaky.written).toHaveLength(count);
    });

    it('ends the rings a crash left pending at the restart, though they have nothing left to run', async () => {
      const flaky = new FlakyReporter();
      reporter = flaky;
      // The process dies as the stable ring starts: canary and early are done, no final status written yet.
      flaky.failFinal = true;
      const journal = openJournal();
      const save = journal.save.bind(journal);
      journal.save = async (entry) => {
        if (entry.group === 'globex') throw new Error('killed');
        return save(entry);
      };
      await reconcileOnce(await desired(), C1, { ...deps(), engine: { ...deps().engine, journal } });
      expect(ringStates(C1)).toEqual({
        'ringmaster/canary': 'pending',
        'ringmaster/early': 'pending',
        'ringmaster/stable': 'pending',
      });
      flaky.failFinal = false;
      const restarted = await reconcileOnce(await desired(), C1, deps());
      expect(restarted.ran.map((e) => e.group)).toEqual(['globex']);
      expect(ringStates(C1)).toEqual({
        'ringmaster/canary': 'success',
        'ringmaster/early': 'success',
        'ringmaster/stable': 'success',
      });
    });

    it('ends the ring of a commit superseded before its groups moved, naming the newer commit', async () => {
      await reconcileOnce(await desired(), C1, deps());
      await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
      now = new Date('2026-12-24T10:00:00Z'); // frozen: early waits
      const promoted = await reconcileOnce(await desired(), C2, deps());
      expect(promoted.waiting).toEqual([{ group: 'shared-1', reason: 'freeze year-end until 2027-01-04' }]);
      expect(ringStates(C2)).toEqual({ 'ringmaster/early': 'pending' });
      // A newer commit takes the promotion back before it ran.
      await repo.edit(
        'groups/rings.yaml',
        'release: "2026.11.1"\n  - name: stable',
        'release: "2026.11.0"\n  - name: stable',
      );
      const C3 = '3'.repeat(40);
      await reconcileOnce(await desired(), C3, deps());
      expect(reporter.written.filter((s) => s.commit === C2).at(-1)).toMatchObject({
        context: 'ringmaster/early',
        state: 'success',
        description: `early: superseded by ${C3.slice(0, 12)} · 0 groups moved on this commit · the rest follow ${C3.slice(0, 12)}`,
      });
      expect(ringStates(C3)).toEqual({});
    });
  });

  describe('in a large ring', () => {
    beforeEach(async () => {
      for (let i = 1; i <= 7; i++) {
        await repo.write(
          `groups/smb-${i}.yaml`,
          [
            'apiVersion: ringmaster/v1',
            'kind: Group',
            `name: smb-${i}`,
            'ring: early',
            'resources:',
            '  cluster: eu-1',
            `  namespace: smb-${i}`,
            `  database: { instance: smb-${i}-db, engine: postgres }`,
            '  secrets: []',
            'tenants:',
            `  - { id: t${i}, host: t${i}.example.com, language: en-GB, utcOffset: "+00:00" }`,
            '',
          ].join('\n'),
        );
      }
      await repo.edit(
        'policies/promotion.yaml',
        'early: { bake: 24h, approvals: 1, reviewers: ["@test/release"], maxParallel: 5 }',
        'early: { bake: 24h, approvals: 1, maxParallel: 3, failureBudget: 1 }',
      );
    });

    it('never runs more groups at once than maxParallel', async () => {
      // Holds early's stack calls until as many are in flight as may be (maxParallel 3, or the groups left),
      // so the ring's concurrency shows; and counts the transitions started and not ended at each call.
      const EARLY = 8;
      const early = (group: string) => group === 'shared-1' || group.startsWith('smb-');
      const ensure = fake.providers.cluster.ensureStack.bind(fake.providers.cluster);
      let held: (() => void)[] = [];
      let started = 0;
      let ended = 0;
      let maxOpen = 0;
      fake.providers.cluster.ensureStack = async (ctx, spec) => {
        if (!early(ctx.group)) return ensure(ctx, spec);
        maxOpen = Math.max(maxOpen, ++started - ended);
        await new Promise<void>((resolve) => {
          held.push(resolve);
          if (held.length < Math.min(3, EARLY - (started - held.length))) return;
          held.forEach((r) => r());
          held = [];
        });
        return ensure(ctx, spec);
      };
      await reconcileOnce(await desired(), C1, {
        ...deps(),
        onTransition: (e) => void (early(e.group) && e.status === 'succeeded' && ended++),
      });
      expect(maxOpen).toBe(3);
      expect([started, ended]).toEqual([EARLY, EARLY]);
    });

    it('ends a ring whose rollback stayed within its budget with failure, saying so', async () => {
      await reconcileOnce(await desired(), C1, deps());
      await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
      fake.world.setScript({ verify: ['permanent', 'ok'] });
      const report = await reconcileOnce(await desired(), C2, deps());
      expect(report.halted).toEqual([]);
      const early = reporter.written.filter((s) => s.commit === C2 && s.context === 'ringmaster/early');
      expect(early.at(-1)).toMatchObject({
        state: 'failure',
        description: 'early: 7/8 groups on 2026.11.1 · 1 rolled back, within budget 1',
      });
    });

    it('halts the ring once its failure budget is spent', async () => {
      await reconcileOnce(await desired(), C1, deps());
      await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
      fake.world.unhealthy.add('verify');
      const report = await reconcileOnce(await desired(), C2, deps());
      // Three start; a freed slot is filled at once while the budget holds, and nothing starts once it is spent.
      const failed = report.ran.length;
      expect(report.ran.every((e) => e.status === 'rolled-back')).toBe(true);
      expect(failed).toBeGreaterThanOrEqual(3);
      expect(failed).toBeLessThanOrEqual(4);
      expect(report.halted).toEqual([{ ring: 'early', reason: `${failed} groups failed, budget 1` }]);
      expect(report.waiting.filter((w) => w.reason.startsWith('halted')).map((w) => w.group)).toHaveLength(
        8 - failed,
      );
      expect(report.status.rings.find((r) => r.name === 'early')!.state).toBe('halted');
    });
  });
});
