/**
 * A tenant move run by the engine on the fake providers: the transition of
 * the group the tenant joins takes its data along (replica, promotion) and
 * its host across, undoes everything before promotion, and leaves the group
 * in emergency after it.
 */
import { pino } from 'pino';
import { writesMayBeThere } from '../../controller/engine/promote-step.js';
import { type EngineDeps, runTransition } from '../../controller/engine/run-transition.js';
import type { TransitionTarget } from '../../controller/engine/steps.js';
import type { AnalysisQuery, MaintenanceWindow, Tenant } from '../../controller/model/types.js';
import type { MoveIn } from '../../controller/plan/move-plan.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import type { GroupSnapshot } from '../../controller/state/types.js';
import { type FakeWorld, type Script, createFakeProviders } from '../fakes/providers.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { groupSnapshot } from '../helpers/group-snapshot.js';
import { RING_POLICY } from '../helpers/ring-policy.js';

const tenant = (id: string): Tenant => ({
  id,
  host: `${id}.example.com`,
  language: 'en-GB',
  utcOffset: '+00:00',
});

/** Group `name` at 2026.11.0 on its own namespace and database, with `tenants`. */
function snapshotOf(name: string, tenants: readonly string[]): GroupSnapshot {
  const base = groupSnapshot('2026.11.0', 410, tenants.map(tenant));
  return {
    ...base,
    resources: {
      ...base.resources,
      namespace: name,
      database: { instance: `${name}-db`, engine: 'postgres' },
    },
  };
}

const SHARED = snapshotOf('shared-1', ['alpha', 'beta']);
const JOB = { image: 'registry.example.com/acme/tools:1', command: ['run'] };

function target(
  group: string,
  commit: string,
  from: GroupSnapshot | undefined,
  to: GroupSnapshot,
  moveIn?: MoveIn,
  window?: MaintenanceWindow,
): TransitionTarget {
  return {
    planned: {
      id: `${group}@${commit.repeat(12)}`,
      group,
      ring: 'early',
      commit: commit.repeat(40),
      changes: moveIn ? ['create', 'move'] : from ? ['tenants'] : ['create'],
      from,
      to,
      details: [],
      testTenants: 0,
      ...(moveIn ? { moveIn } : {}),
    },
    cluster: to.resources.cluster,
    namespace: to.resources.namespace,
    database: to.resources.database,
    secrets: [],
    services: { api: { image: to.services.api!, replicas: 2, port: 8080, healthPath: '/healthz' } },
    schemaVersion: to.schemaVersion,
    tenants: to.tenants,
    tenantJobs: { create: JOB, remove: JOB, sequences: JOB },
    ringPolicy: RING_POLICY,
    ...(window ? { window } : {}),
    gracePeriodMs: 0,
    observeMs: 0,
    analysis: [],
  };
}

/** The policy's replica-lag query, judged on a move's replica before promotion. */
const replicaLag = (inconclusive: 'wait' | 'fail'): AnalysisQuery => ({
  name: 'replica-lag',
  query: 'max(replica_lag_seconds{db="{{replica}}",of="{{source}}"})',
  max: 5,
  during: ['replicate'],
  failureLimit: 0,
  inconclusive,
});

const BETA = snapshotOf('beta', ['beta']);
const MOVE: MoveIn = { tenants: ['beta'], from: 'shared-1', source: SHARED, data: 'replica' };
const moveBeta = (window?: MaintenanceWindow) => target('beta', 'b', undefined, BETA, MOVE, window);

describe('a tenant move', () => {
  let dir: string;
  let journal: FileJournalStore;
  let now: Date;
  let engine: EngineDeps;
  let world: FakeWorld;
  beforeEach(async () => {
    dir = await makeTempDir();
    journal = new FileJournalStore(dir);
    now = new Date('2026-11-22T10:00:00Z');
    const fake = createFakeProviders();
    world = fake.world;
    engine = {
      providers: fake.providers,
      journal,
      constellation: 'acme',
      now: () => now,
      sleep: async (ms) => void (now = new Date(now.getTime() + ms)),
      healthIntervalMs: 1000,
      pollIntervalMs: 5000,
      isApproved: async () => true,
      retry: { retries: 0, minTimeoutMs: 0, maxTimeoutMs: 0 },
      log: pino({ level: 'silent' }),
    };
    // The shared group runs, routing both its tenants.
    expect((await runToEnd(target('shared-1', 'a', undefined, SHARED))).status).toBe('succeeded');
    world.calls.length = 0;
  });
  afterEach(async () => {
    await journal.close();
    await removeDir(dir);
  });

  /** Runs `t` until it ends (with `untilWaiting`, or waits), moving the clock to each time it asks to come back. */
  async function runToEnd(t: TransitionTarget, untilWaiting = false) {
    for (let runs = 1; runs < 20; runs++) {
      const outcome = await runTransition(t, engine);
      if (outcome.status !== 'running' && (outcome.status !== 'waiting' || untilWaiting)) return outcome;
      now = new Date(outcome.entry.until!);
    }
    throw new Error('the transition never ended');
  }

  it('brings the tenant over with its data: stack on the old database, host across, replica promoted', async () => {
    const outcome = await runToEnd(moveBeta());
    expect(outcome.status).toBe('succeeded');
    expect(world.calls).toEqual([
      // The new group's stack, its registry serving beta from shared-1-db; no creation Job for beta.
      'ensure blue 2026.11.0',
      // beta's host routed here first, then taken off the shared group, which keeps alpha.
      'switch blue',
      'switch blue',
      'replica beta-db of shared-1-db',
      'promote beta-db',
      'job tenant-sequences-beta',
      // From now on the registry serves beta from beta-db.
      'tenants beta',
    ]);
    expect(world.stacks.get('eu-1/beta')!.get('blue')!.databases).toEqual({
      beta: { instance: 'shared-1-db', engine: 'postgres' },
    });
    expect(world.elsewhere.has('eu-1/beta')).toBe(false);
    expect(world.hosts.get('eu-1/beta')).toEqual(['beta.example.com']);
    expect(world.hosts.get('eu-1/shared-1')).toEqual(['alpha.example.com']);
    expect(world.replicas.get('beta-db')).toEqual({ source: 'shared-1-db', promoted: true });
    expect(outcome.entry.steps.map((s) => s.name)).toEqual([
      'validate',
      'prepare',
      'verify',
      'cutover',
      'replicate',
      'promote',
      'observe',
      'finalize',
    ]);
  });

  it('gives the promoted database a standby where the policy asks, once the registry serves from it', async () => {
    const outcome = await runToEnd({ ...moveBeta(), standby: true });
    expect(outcome.status).toBe('succeeded');
    expect(world.calls.slice(world.calls.indexOf('promote beta-db'))).toEqual([
      'promote beta-db',
      'job tenant-sequences-beta',
      'tenants beta',
      'standby beta-db',
    ]);
    expect(world.replicas.get('beta-db')).toMatchObject({ promoted: true, standby: true });
    expect(outcome.entry.steps.find((s) => s.name === 'promote')!.data).toMatchObject({ standby: true });
  });

  it('verifies the data with the release’s Job once the replica is in sync, before promoting', async () => {
    const t = { ...moveBeta(), tenantJobs: { ...moveBeta().tenantJobs, verify: JOB } };
    world.jobLooks.set('tenant-verify-beta', 2);
    const outcome = await runToEnd(t);
    expect(outcome.status).toBe('succeeded');
    const calls = world.calls.filter((c) => /^(replica|job|promote)/.test(c));
    expect(calls).toEqual([
      'replica beta-db of shared-1-db',
      'job tenant-verify-beta',
      'promote beta-db',
      'job tenant-sequences-beta',
    ]);
    expect(outcome.entry.steps.find((s) => s.name === 'replicate')!.data).toMatchObject({
      replica: 'beta-db',
      of: 'shared-1-db',
      inSync: true,
      tenantsVerified: ['beta'],
    });
  });

  it('waits for the replica to catch up where the policy judges it, then promotes', async () => {
    const t = { ...moveBeta(), analysis: [replicaLag('wait')] };
    world.measurements.set('replica-lag', [{ value: 40 }, { inconclusive: 'no data' }, { value: 2 }]);
    const notes: string[] = [];
    let outcome;
    for (let runs = 0; runs < 20; runs++) {
      outcome = await runTransition(t, engine);
      if (outcome.status !== 'running') break;
      if (outcome.entry.reason) notes.push(outcome.entry.reason);
      now = new Date(outcome.entry.until!);
    }
    expect(outcome!.status).toBe('succeeded');
    expect(notes).toContain('beta-db replicates; waiting for it to catch up: replica-lag 40 > max 5');
    expect(notes).toContain(
      'beta-db replicates; waiting for it to catch up: replica-lag inconclusive: no data',
    );
    expect(world.measured.map((q) => q.query)).toEqual(
      Array(3).fill('max(replica_lag_seconds{db="beta-db",of="shared-1-db"})'),
    );
    // Judged before anything was promoted; not judged again during verify and observe.
    expect(world.calls.filter((c) => c.startsWith('replica') || c.startsWith('promote'))).toEqual([
      'replica beta-db of shared-1-db',
      'promote beta-db',
    ]);
  });

  it('cuts back when the replica cannot be judged and the query says inconclusive: fail', async () => {
    world.measurements.set('replica-lag', [{ inconclusive: 'no data' }]);
    const outcome = await runToEnd({ ...moveBeta(), analysis: [replicaLag('fail')] });
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.reason).toBe('replicate failed: replica-lag inconclusive: no data on beta-db');
    expect(world.replicas.has('beta-db')).toBe(false);
  });

  it('cuts back when the release’s verification Job fails: nothing promoted, the replica deleted', async () => {
    const t = { ...moveBeta(), tenantJobs: { ...moveBeta().tenantJobs, verify: JOB } };
    world.failingJobs.add('tenant-verify-beta');
    const outcome = await runToEnd(t);
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.reason).toContain('replicate failed: job tenant-verify-beta failed');
    expect(world.calls).not.toContain('promote beta-db');
    expect(world.replicas.has('beta-db')).toBe(false);
    expect(world.hosts.get('eu-1/shared-1')).toEqual(['alpha.example.com', 'beta.example.com']);
  });

  it('promotes only inside the group’s maintenance window, waiting with the time it opens', async () => {
    const window: MaintenanceWindow = {
      cron: '0 2 * * *',
      duration: '2h',
      durationMs: 7_200_000,
      timezone: 'UTC',
    };
    const first = await runToEnd(moveBeta(window), true);
    expect(first.status).toBe('waiting');
    expect(first.reason).toBe(
      'promoting the data of tenant beta in the maintenance window: outside maintenance window; next opens 2026-11-23T02:00:00.000Z',
    );
    // The data is replicated and the host across; nothing promoted yet.
    expect(world.replicas.get('beta-db')).toEqual({ source: 'shared-1-db', promoted: false });
    expect(world.hosts.get('eu-1/beta')).toEqual(['beta.example.com']);
    // Come back when it opens, as the controller does: promoted at once.
    now = new Date(first.entry.until!);
    expect((await runToEnd(moveBeta(window))).status).toBe('succeeded');
    expect(world.replicas.get('beta-db')!.promoted).toBe(true);
  });

  const failing: [keyof Script, string][] = [
    ['validate', 'validate'],
    ['prepare', 'prepare'],
    ['cutover', 'cutover'],
    ['replicate', 'replicate'],
  ];
  it.each(failing)(
    'cuts back when %s fails before promotion: the host is the shared group’s again, nothing of the move is left',
    async (step) => {
      world.setScript({ [step]: ['permanent', 'ok'] });
      const outcome = await runToEnd(moveBeta());
      expect(outcome.status).toBe('rolled-back');
      expect(outcome.reason).toContain(`${step} failed`);
      expect(world.hosts.get('eu-1/shared-1')).toEqual(['alpha.example.com', 'beta.example.com']);
      expect(world.active.get('eu-1/shared-1')).toBe('blue');
      expect(world.stacks.get('eu-1/beta')?.size ?? 0).toBe(0);
      expect(world.active.has('eu-1/beta')).toBe(false);
      expect(world.replicas.size).toBe(0);
    },
  );

  it('is an emergency after promotion, saying where the data is, and undoes nothing', async () => {
    world.unhealthy.add('observe');
    const outcome = await runToEnd(moveBeta());
    expect(outcome.status).toBe('emergency');
    expect(outcome.reason).toContain('observe failed');
    expect(outcome.reason).toContain(
      'tenant beta moved past the point of no return: beta-db was promoted (or being promoted) from a replica of shared-1-db',
    );
    expect(outcome.reason).toContain('ringmaster recover beta --to target');
    // Nothing undone: the host stays with the promoted data.
    expect(world.hosts.get('eu-1/beta')).toEqual(['beta.example.com']);
    expect(world.hosts.get('eu-1/shared-1')).toEqual(['alpha.example.com']);
    expect(world.replicas.get('beta-db')!.promoted).toBe(true);
    expect(world.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
  });

  it('is cut back past promotion only when a human asks: host back first, what was written copied back, the promoted database kept', async () => {
    world.unhealthy.add('observe');
    const t = { ...moveBeta(), tenantJobs: { ...moveBeta().tenantJobs, cutback: JOB } };
    const failed = await runToEnd(t);
    expect(failed.status).toBe('emergency');
    world.unhealthy.delete('observe');
    world.calls.length = 0;
    // What ringmaster recover --to cut-back writes before it runs the transition again.
    await journal.save({
      ...failed.entry,
      status: 'rolling-back',
      recovery: { to: 'cut-back', at: now.toISOString() },
    });
    const cut = await runToEnd(t);
    expect(cut.status).toBe('rolled-back');
    expect(world.hosts.get('eu-1/shared-1')).toEqual(['alpha.example.com', 'beta.example.com']);
    expect(world.replicas.get('beta-db')).toMatchObject({ promoted: true });
    // The Job runs once the host is the shared group's again, before beta's stack goes.
    const jobAt = world.calls.indexOf('job tenant-cutback-beta');
    expect(jobAt).toBeGreaterThanOrEqual(0);
    expect(world.calls.slice(jobAt + 1).some((c) => c.startsWith('delete'))).toBe(true);
    expect(world.calls.filter((c) => c.startsWith('delete replica'))).toEqual([]);
  });
});

describe('writesMayBeThere: may the tenants have written on the new database?', () => {
  const t = moveBeta();
  it.each([
    ['nothing promoted yet', undefined, false],
    ['promotion asked, replica not promoted yet', { promoting: 'x' }, false],
    ['promoted, sequences not extended yet', { promoting: 'x', promoted: true }, false],
    [
      'promoted and sequences extended: the registry was being pointed',
      { promoting: 'x', promoted: true, tenantsExtended: ['beta'] },
      true,
    ],
    [
      'the registry pointed',
      { promoting: 'x', promoted: true, tenantsExtended: ['beta'], registry: {} },
      true,
    ],
  ])('%s', (_what, record, expected) => {
    expect(writesMayBeThere(t, record)).toBe(expected);
  });

  it('counts a copy without a sequences Job as pointed once promotion was asked', () => {
    const copy = {
      ...target('beta', 'b', undefined, BETA, { ...MOVE, data: 'copy' }),
      tenantJobs: { copy: JOB },
    };
    expect(writesMayBeThere(copy, { promoting: 'x' })).toBe(true);
  });
});
