/**
 * The parts of prepare and finalize that wait on Jobs: the schema migration,
 * tenants joining and leaving, and tenant-only changes made in place.
 */
import { pino } from 'pino';
import { type EngineDeps, runTransition } from '../../controller/engine/run-transition.js';
import type { TransitionTarget } from '../../controller/engine/steps.js';
import type { RingPolicy, Tenant } from '../../controller/model/types.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import type { GroupSnapshot } from '../../controller/state/types.js';
import { createFakeProviders } from '../fakes/providers.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { groupSnapshot } from '../helpers/group-snapshot.js';
import { RING_POLICY } from '../helpers/ring-policy.js';

const RING: RingPolicy = { ...RING_POLICY, keepMs: 3_600_000 };

const tenant = (id: string): Tenant => ({
  id,
  host: `${id}.app.example.com`,
  language: 'en-GB',
  utcOffset: '+00:00',
});
const JOB = { image: 'registry.example.com/acme/tools:1', command: ['run'] };

const snapshot = (release: string, schemaVersion: number, tenants: readonly string[]) =>
  groupSnapshot(release, schemaVersion, tenants.map(tenant));

function target(id: string, from: GroupSnapshot | undefined, to: GroupSnapshot): TransitionTarget {
  return {
    planned: {
      id: `globex@${id.repeat(12)}`,
      group: 'globex',
      ring: 'early',
      commit: id.repeat(40),
      changes: [from ? 'release' : 'create'],
      from,
      to,
      details: [],
      testTenants: 0,
    },
    cluster: 'eu-1',
    namespace: 'globex',
    database: to.resources.database,
    secrets: [],
    services: { api: { image: to.services.api!, replicas: 2, port: 8080, healthPath: '/healthz' } },
    schemaVersion: to.schemaVersion,
    tenants: to.tenants,
    migration: JOB,
    tenantJobs: { create: JOB, remove: JOB },
    ringPolicy: RING,
    gracePeriodMs: 0,
    observeMs: 0,
    analysis: [],
  };
}

describe('prepare and finalize with Jobs', () => {
  let dir: string;
  let journal: FileJournalStore;
  let now: Date;
  beforeEach(async () => {
    dir = await makeTempDir();
    journal = new FileJournalStore(dir);
    now = new Date('2026-11-22T10:00:00Z');
  });
  afterEach(async () => {
    await journal.close();
    await removeDir(dir);
  });

  function deps() {
    const fake = createFakeProviders();
    const engine: EngineDeps = {
      providers: fake.providers,
      journal,
      constellation: 'acme',
      now: () => now,
      sleep: async (ms) => void (now = new Date(now.getTime() + ms)),
      healthIntervalMs: 1000,
      pollIntervalMs: 5000,
      isApproved: async () => true,
      retry: { retries: 1, minTimeoutMs: 0, maxTimeoutMs: 0 },
      log: pino({ level: 'silent' }),
    };
    return { engine, fake };
  }

  /** Runs `t` until it ends, moving the clock to each time it asked to come back; returns the runs it took. */
  async function runToEnd(t: TransitionTarget, engine: EngineDeps) {
    for (let runs = 1; runs < 20; runs++) {
      const outcome = await runTransition(t, engine);
      if (outcome.status !== 'running' && outcome.status !== 'waiting') return { outcome, runs };
      now = new Date(outcome.entry.until ?? now.getTime());
    }
    throw new Error('the transition never ended');
  }

  const FIRST = snapshot('2026.11.0', 410, ['globex']);

  it('prepares every tenant of a new group before its hosts are routed', async () => {
    const { engine, fake } = deps();
    fake.world.jobLooks.set('tenant-create-globex', 2);
    const { outcome, runs } = await runToEnd(target('a', undefined, FIRST), engine);
    expect(outcome.status).toBe('succeeded');
    // Two looks at the Job that was still running, each its own run of the step.
    expect(runs).toBe(3);
    expect(fake.world.calls).toEqual(['ensure blue 2026.11.0', 'job tenant-create-globex', 'switch blue']);
    // No migration: a new group has no layout to move from.
    expect(outcome.entry.steps.find((s) => s.name === 'prepare')!.data).toMatchObject({
      tenantsCreated: ['globex'],
    });
  });

  it('migrates the data layout before the new stack comes up, and only when it rises', async () => {
    const { engine, fake } = deps();
    await runToEnd(target('a', undefined, FIRST), engine);
    fake.world.calls.length = 0;
    fake.world.jobLooks.set('migrate-412', 1);
    const up = snapshot('2026.11.2', 412, ['globex']);
    const { outcome } = await runToEnd(target('b', FIRST, up), engine);
    expect(outcome.status).toBe('succeeded');
    expect(fake.world.calls.slice(0, 4)).toEqual([
      'snapshot acme-globex-412-bbbbbbbbbbbb',
      'job migrate-412',
      'ensure green 2026.11.2',
      'switch green',
    ]);
    // Back to the old release: no migration runs (the layout stays, migrations only add).
    fake.world.calls.length = 0;
    const { outcome: back } = await runToEnd(target('c', up, { ...FIRST, schemaVersion: 410 }), engine);
    expect(back.status).toBe('succeeded');
    expect(fake.world.calls.filter((c) => c.startsWith('job'))).toEqual([]);
  });

  it('rolls back without touching the stacks when the migration fails', async () => {
    const { engine, fake } = deps();
    await runToEnd(target('a', undefined, FIRST), engine);
    fake.world.calls.length = 0;
    fake.world.failingJobs.add('migrate-412');
    const { outcome } = await runToEnd(target('b', FIRST, snapshot('2026.11.2', 412, ['globex'])), engine);
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.reason).toMatch(/prepare failed: job migrate-412 failed: BackoffLimitExceeded/);
    expect(fake.world.calls).toEqual(['snapshot acme-globex-412-bbbbbbbbbbbb', 'job migrate-412']);
    expect(fake.world.active.get('eu-1/globex')).toBe('blue');
  });

  it('snapshots the database once before migrating, waiting for it in journaled looks', async () => {
    const { engine, fake } = deps();
    await runToEnd(target('a', undefined, FIRST), engine);
    fake.world.calls.length = 0;
    fake.world.snapshotLooks = 2;
    const up = snapshot('2026.11.2', 412, ['globex']);
    const first = await runTransition(target('b', FIRST, up), engine);
    // Part-way: the snapshot is being made, its id already in the journal.
    expect(first.status).toBe('running');
    expect(first.reason).toBe('backing up database globex-db as acme-globex-412-bbbbbbbbbbbb: creating');
    expect(first.entry.steps.find((s) => s.name === 'prepare')!.data).toEqual({
      snapshot: 'acme-globex-412-bbbbbbbbbbbb',
    });
    // Nothing else happens before the snapshot is available: no migration, no stack.
    expect(fake.world.calls).toEqual(['snapshot acme-globex-412-bbbbbbbbbbbb']);
    now = new Date(first.entry.until!);
    const { outcome, runs } = await runToEnd(target('b', FIRST, up), engine);
    expect(outcome.status).toBe('succeeded');
    // The third look finds it available; the last run retires the old stack after the keep window.
    expect(runs).toBe(3);
    expect(outcome.entry.steps.find((s) => s.name === 'prepare')!.data).toMatchObject({
      snapshot: 'acme-globex-412-bbbbbbbbbbbb',
      snapshotReady: true,
      migrated: 412,
    });
    // Taken once, whatever the number of looks.
    expect(fake.world.calls.filter((c) => c.startsWith('snapshot'))).toHaveLength(1);
    expect(fake.world.snapshots).toEqual(new Map([['acme-globex-412-bbbbbbbbbbbb', 'globex-db']]));
  });

  it('takes no snapshot where the ring turns backups off, nor when the layout stays', async () => {
    const { engine, fake } = deps();
    await runToEnd(target('a', undefined, FIRST), engine);
    const up = snapshot('2026.11.2', 412, ['globex']);
    const { outcome } = await runToEnd(
      { ...target('b', FIRST, up), ringPolicy: { ...RING, backup: false } },
      engine,
    );
    expect(outcome.status).toBe('succeeded');
    const same = snapshot('2026.11.3', 412, ['globex']);
    expect((await runToEnd(target('c', up, same), engine)).outcome.status).toBe('succeeded');
    expect(fake.world.snapshots.size).toBe(0);
    expect(fake.world.calls.filter((c) => c.startsWith('job migrate'))).toEqual(['job migrate-412']);
  });

  it('changes tenants in place: the registry and routes change, no stack is made or retired', async () => {
    const { engine, fake } = deps();
    await runToEnd(target('a', undefined, snapshot('2026.11.0', 410, ['globex', 'initech'])), engine);
    fake.world.calls.length = 0;
    const from = snapshot('2026.11.0', 410, ['globex', 'initech']);
    const to = snapshot('2026.11.0', 410, ['globex', 'umbrella']);
    const { outcome } = await runToEnd(
      { ...target('b', from, to), planned: { ...target('b', from, to).planned, changes: ['tenants'] } },
      engine,
    );
    expect(outcome.status).toBe('succeeded');
    // The new tenant is prepared before it is routed; the departed one's removal waits for the keep window.
    expect(fake.world.calls).toEqual([
      'tenants globex,umbrella',
      'job tenant-create-umbrella',
      'switch blue',
      'job tenant-remove-initech',
    ]);
    expect(fake.world.hosts.get('eu-1/globex')).toEqual([
      'globex.app.example.com',
      'umbrella.app.example.com',
    ]);
    const finalize = outcome.entry.steps.find((s) => s.name === 'finalize')!;
    expect(
      Date.parse(finalize.endedAt!) -
        Date.parse(outcome.entry.steps.find((s) => s.name === 'cutover')!.endedAt!),
    ).toBeGreaterThanOrEqual(RING.keepMs);
    expect(finalize.data).toEqual({ retired: [], tenantsRemoved: ['initech'] });
    expect([...fake.world.stacks.get('eu-1/globex')!.keys()]).toEqual(['blue']);
  });

  it('puts the registry and routes back when a tenant cannot be prepared', async () => {
    const { engine, fake } = deps();
    await runToEnd(target('a', undefined, FIRST), engine);
    fake.world.calls.length = 0;
    fake.world.failingJobs.add('tenant-create-umbrella');
    const to = snapshot('2026.11.0', 410, ['globex', 'umbrella']);
    const { outcome } = await runToEnd(
      { ...target('b', FIRST, to), planned: { ...target('b', FIRST, to).planned, changes: ['tenants'] } },
      engine,
    );
    expect(outcome.status).toBe('rolled-back');
    expect(fake.world.calls).toEqual([
      'tenants globex,umbrella',
      'job tenant-create-umbrella',
      'tenants globex',
    ]);
    expect(fake.world.hosts.get('eu-1/globex')).toEqual(['globex.app.example.com']);
  });

  describe('a cutover in steps', () => {
    async function cutover(unhealthyAfter?: number) {
      const fake = createFakeProviders();
      let checks = 0;
      const health = fake.providers.health;
      const providers = {
        ...fake.providers,
        health: {
          check: async (...args: Parameters<typeof health.check>) =>
            unhealthyAfter !== undefined && args[0].step === 'cutover' && ++checks > unhealthyAfter
              ? { healthy: false, reason: 'error rate 12%' }
              : health.check(...args),
        },
      };
      const engine: EngineDeps = {
        providers,
        journal,
        constellation: 'acme',
        now: () => now,
        sleep: async (ms) => void (now = new Date(now.getTime() + ms)),
        healthIntervalMs: 60_000,
        isApproved: async () => true,
        retry: { retries: 0, minTimeoutMs: 0, maxTimeoutMs: 0 },
        log: pino({ level: 'silent' }),
      };
      const first = snapshot('2026.11.0', 410, ['globex']);
      const created = target('a', undefined, first);
      expect((await runTransition({ ...created, tenantJobs: undefined }, engine)).status).toBe('succeeded');
      fake.world.calls.length = 0;
      const next = target('b', first, snapshot('2026.11.2', 410, ['globex']));
      const t = { ...next, ringPolicy: { ...RING, keepMs: 0, traffic: [10, 50, 100] } };
      const seen: string[] = [];
      for (;;) {
        const outcome = await runTransition(t, engine);
        if (outcome.status !== 'running')
          return { outcome, calls: fake.world.calls, seen, active: fake.world.active };
        seen.push(
          `${outcome.entry.reason} until +${(Date.parse(outcome.entry.until!) - now.getTime()) / 1000}s`,
        );
        now = new Date(outcome.entry.until!);
      }
    }

    it('moves the traffic share by share, a health check apart', async () => {
      const { outcome, calls, seen } = await cutover();
      expect(outcome.status).toBe('succeeded');
      expect(calls).toEqual([
        'ensure green 2026.11.2',
        'switch green 10%',
        'switch green 50%',
        'switch green',
        'delete blue',
      ]);
      expect(seen).toEqual(['cutover: 10% on green until +60s', 'cutover: 50% on green until +60s']);
    });

    it('sends everything back to the old stack when the new one turns unhealthy part-way', async () => {
      const { outcome, calls, active } = await cutover(1);
      expect(outcome.status).toBe('rolled-back');
      expect(outcome.reason).toMatch(
        /green stack of group globex is unhealthy with 50% of the traffic: error rate 12%/,
      );
      expect(calls).toEqual([
        'ensure green 2026.11.2',
        'switch green 10%',
        'switch green 50%',
        'switch blue',
        'delete green',
      ]);
      expect(active.get('eu-1/globex')).toBe('blue');
    });
  });
});
