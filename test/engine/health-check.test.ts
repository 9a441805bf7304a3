/**
 * Health analysis in the grace and observe periods: queries judged against
 * their bounds on the new stack, failures counted against failureLimit, and
 * inconclusive measurements waiting for a person.
 */
import { pino } from 'pino';
import { type EngineDeps, runTransition } from '../../controller/engine/run-transition.js';
import type { TransitionTarget } from '../../controller/engine/steps.js';
import type { AnalysisQuery } from '../../controller/model/types.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { createFakeProviders } from '../fakes/providers.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { groupSnapshot } from '../helpers/group-snapshot.js';
import { RING_POLICY } from '../helpers/ring-policy.js';

const MINUTE = 60_000;

const ERROR_RATE: AnalysisQuery = {
  name: 'error-rate',
  query:
    'sum(rate(errors{namespace="{{namespace}}",workload=~"{{constellation}}-{{group}}-.*-{{colour}}"}[1m])) # {{release}} on {{cluster}}',
  max: 0.01,
  failureLimit: 0,
  inconclusive: 'wait',
  during: ['verify', 'observe'],
};

const snapshot = (release: string) => groupSnapshot(release);

function target(analysis: readonly AnalysisQuery[]): TransitionTarget {
  const to = snapshot('2026.11.2');
  return {
    planned: {
      id: `globex@${'c'.repeat(12)}`,
      group: 'globex',
      ring: 'early',
      commit: 'c'.repeat(40),
      changes: ['release'],
      from: snapshot('2026.11.0'),
      to,
      details: [],
      testTenants: 0,
    },
    cluster: 'eu-1',
    namespace: 'globex',
    database: to.resources.database,
    secrets: [],
    services: { api: { image: 'app/api:2026.11.2', replicas: 2, port: 8080, healthPath: '/healthz' } },
    schemaVersion: 410,
    tenants: [],
    ringPolicy: RING_POLICY,
    gracePeriodMs: 2 * MINUTE,
    observeMs: 3 * MINUTE,
    analysis,
  };
}

describe('health analysis', () => {
  let dir: string;
  let journal: FileJournalStore;
  let now: Date;
  let approved: boolean;
  let retried: boolean;
  beforeEach(async () => {
    dir = await makeTempDir();
    journal = new FileJournalStore(dir);
    now = new Date('2026-11-22T10:00:00Z');
    approved = false;
    retried = false;
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
      healthIntervalMs: MINUTE,
      isApproved: async () => approved,
      isRetried: async () => retried,
      retry: { retries: 0, minTimeoutMs: 0, maxTimeoutMs: 0 },
      log: pino({ level: 'silent' }),
    };
    return { engine, fake };
  }

  /** Runs `t` until it ends or waits without a time, moving the clock to each time it asked to come back. */
  async function runOn(t: TransitionTarget, engine: EngineDeps) {
    for (let runs = 1; runs < 40; runs++) {
      const outcome = await runTransition(t, engine);
      if (outcome.status !== 'running' && outcome.status !== 'waiting') return outcome;
      if (!outcome.entry.until) return outcome;
      now = new Date(outcome.entry.until);
    }
    throw new Error('the transition never ended');
  }

  /** Starts from a group running blue, so the transition's new stack is green. */
  async function withBlueRunning(engine: EngineDeps) {
    const first = {
      ...target([]),
      planned: { ...target([]).planned, id: 'globex@aaaaaaaaaaaa', from: undefined },
    };
    expect((await runOn(first, engine)).status).toBe('succeeded');
  }

  it('measures each query on the new stack through both periods and keeps every result', async () => {
    const { engine, fake } = deps();
    await withBlueRunning(engine);
    fake.world.measured.length = 0;
    fake.world.measurements.set('error-rate', [{ value: 0.001 }, { value: 0.004 }]);
    const outcome = await runOn(target([ERROR_RATE]), engine);
    expect(outcome.status).toBe('succeeded');
    // Two checks in the grace period, three in observe, one a minute.
    expect(fake.world.measured).toHaveLength(5);
    expect(fake.world.measured[0]).toEqual({
      name: 'error-rate',
      query: 'sum(rate(errors{namespace="globex",workload=~"acme-globex-.*-green"}[1m])) # 2026.11.2 on eu-1',
      max: 0.01,
    });
    const verify = outcome.entry.steps.find((s) => s.name === 'verify')!.data!;
    expect(verify.results).toEqual([
      {
        query: 'error-rate',
        at: expect.any(String),
        verdict: 'pass',
        value: 0.001,
        bound: 'max 0.01',
        text: 'error-rate 0.001 ≤ max 0.01',
      },
      expect.objectContaining({ verdict: 'pass', value: 0.004 }),
    ]);
    expect(outcome.entry.steps.find((s) => s.name === 'observe')!.data!.results).toHaveLength(3);
  });

  it('rolls back when a measurement in observe crosses the bound, naming the query and the value', async () => {
    const { engine, fake } = deps();
    await withBlueRunning(engine);
    fake.world.measurements.set('error-rate', [{ value: 0 }, { value: 0 }, { value: 0 }, { value: 0.023 }]);
    const outcome = await runOn(target([ERROR_RATE]), engine);
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.reason).toBe('observe failed: error-rate 0.023 > max 0.01 on green');
    // The traffic went back to the old stack, and the failing measurement is in the journal.
    expect(fake.world.active.get('eu-1/globex')).toBe('blue');
    const observe = outcome.entry.steps.find((s) => s.name === 'observe')!;
    expect(observe.status).toBe('failed');
  });

  it('tolerates failureLimit failed measurements, and fails at the next', async () => {
    const { engine, fake } = deps();
    await withBlueRunning(engine);
    const tolerant = { ...ERROR_RATE, failureLimit: 1 };
    fake.world.measurements.set('error-rate', [{ value: 0.02 }, { value: 0 }, { value: 0 }, { value: 0 }]);
    expect((await runOn(target([tolerant]), engine)).status).toBe('succeeded');
    fake.world.measurements.set('error-rate', [{ value: 0.02 }, { value: 0.05 }]);
    const outcome = await runOn(
      { ...target([tolerant]), planned: { ...target([]).planned, id: 'globex@bbbbbbbbbbbb' } },
      engine,
    );
    expect(outcome.reason).toBe(
      'verify failed: error-rate 0.05 > max 0.01 on blue (2 of 2 measurements failed; failureLimit 1)',
    );
  });

  it('waits for a person on an inconclusive measurement; an approval goes on', async () => {
    const { engine, fake } = deps();
    await withBlueRunning(engine);
    fake.world.measurements.set('error-rate', [{ value: 0 }, { inconclusive: 'no data' }]);
    const waiting = await runOn(target([ERROR_RATE]), engine);
    expect(waiting.status).toBe('waiting');
    expect(waiting.reason).toBe(
      `error-rate inconclusive: no data on green; a person decides: ringmaster approve globex@${'c'.repeat(12)} to go on, or ringmaster retry globex to measure again`,
    );
    // No time to come back at: only a person ends this wait, and the checks so far are kept.
    expect(waiting.entry.until).toBeUndefined();
    const kept = waiting.entry.steps.find((s) => s.name === 'verify')!.data!;
    expect(kept).toMatchObject({ passed: 1 });
    expect((kept.results as unknown[]).map((r) => (r as { verdict: string }).verdict)).toEqual([
      'pass',
      'inconclusive',
    ]);
    approved = true;
    const outcome = await runOn(target([ERROR_RATE]), engine);
    expect(outcome.status).toBe('succeeded');
    const verify = outcome.entry.steps.find((s) => s.name === 'verify')!.data!;
    expect((verify.results as { verdict: string }[]).map((r) => r.verdict)).toEqual([
      'pass',
      'inconclusive',
      'approved',
    ]);
  });

  it('measures again on a retry, once; any other wake of the wait measures nothing', async () => {
    const { engine, fake } = deps();
    await withBlueRunning(engine);
    fake.world.measured.length = 0;
    fake.world.measurements.set('error-rate', [{ value: 0 }, { inconclusive: 'no data' }]);
    const t = target([ERROR_RATE]);
    expect((await runOn(t, engine)).status).toBe('waiting');
    expect(fake.world.measured).toHaveLength(2);
    // A look, a restart: the wait goes on, since the same reason, and Prometheus is not asked.
    const again = await runOn(t, engine);
    expect([again.status, fake.world.measured.length]).toEqual(['waiting', 2]);
    // A retry measures once more: still no data, so it waits again, and the retry is spent.
    retried = true;
    const retriedOnce = await runOn(t, engine);
    expect([retriedOnce.status, fake.world.measured.length]).toEqual(['waiting', 3]);
    expect((await runOn(t, engine)).status).toBe('waiting');
    expect(fake.world.measured).toHaveLength(3);
    // An approval goes on.
    approved = true;
    expect((await runOn(t, engine)).status).toBe('succeeded');
  });

  it('goes on by itself when the measurement a retry asked for has a value', async () => {
    const { engine, fake } = deps();
    await withBlueRunning(engine);
    fake.world.measurements.set('error-rate', [{ value: 0 }, { inconclusive: 'no data' }, { value: 0.002 }]);
    expect((await runOn(target([ERROR_RATE]), engine)).status).toBe('waiting');
    retried = true;
    const outcome = await runOn(target([ERROR_RATE]), engine);
    expect(outcome.status).toBe('succeeded');
    const verify = outcome.entry.steps.find((s) => s.name === 'verify')!.data!;
    expect((verify.results as { verdict: string }[]).map((r) => r.verdict)).toEqual([
      'pass',
      'inconclusive',
      'pass',
    ]);
  });

  it('fails at once on an inconclusive measurement of a query that says inconclusive: fail', async () => {
    const { engine, fake } = deps();
    await withBlueRunning(engine);
    fake.world.measurements.set('error-rate', [{ inconclusive: 'the value is NaN' }]);
    const outcome = await runOn(target([{ ...ERROR_RATE, inconclusive: 'fail' }]), engine);
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.reason).toBe('verify failed: error-rate inconclusive: the value is NaN on green');
  });

  it('judges a query only in the periods it names', async () => {
    const { engine, fake } = deps();
    await withBlueRunning(engine);
    fake.world.measured.length = 0;
    const outcome = await runOn(target([{ ...ERROR_RATE, during: ['observe'] }]), engine);
    expect(outcome.status).toBe('succeeded');
    expect(fake.world.measured).toHaveLength(3);
    expect(outcome.entry.steps.find((s) => s.name === 'verify')!.data).toEqual({ color: 'green', checks: 2 });
  });

  it('measures a query with a longer interval less often, and checks readiness at the health interval', async () => {
    const { engine, fake } = deps();
    await withBlueRunning(engine);
    fake.world.measured.length = 0;
    const slow = { ...ERROR_RATE, intervalMs: 2 * MINUTE };
    const latency = { ...ERROR_RATE, name: 'latency', max: 500 };
    const outcome = await runOn(target([slow, latency]), engine);
    expect(outcome.status).toBe('succeeded');
    const names = fake.world.measured.map((q) => q.name);
    // Grace 2 minutes and observe 3, a check a minute: latency every check, error-rate every other.
    expect(names.filter((n) => n === 'latency')).toHaveLength(5);
    expect(names.filter((n) => n === 'error-rate')).toHaveLength(3);
  });
});
