import { getHeapStatistics } from 'node:v8';
import { register as globalRegistry } from 'prom-client';
import { STEPS } from '../../controller/engine/step-names.js';
import {
  GROUP_STATES,
  TRANSITION_RESULTS,
  createMetrics,
  nullMetrics,
} from '../../controller/server/metrics.js';
import { type Sample, labelValues, parseSamples, valueOf } from './prom-text.js';
import { WAIT_KINDS } from '../../controller/state/wait-kinds.js';
import { STATUS } from './status-fixture.js';

describe('createMetrics', () => {
  let now: Date;

  function setup() {
    return createMetrics({ now: () => now });
  }

  async function scrape(bundle: ReturnType<typeof setup>): Promise<Sample[]> {
    return parseSamples(await bundle.registry.metrics());
  }

  beforeEach(() => {
    now = new Date('2026-11-22T10:00:00Z');
  });

  it('exports every transition result, step and group state with 0 before any event', async () => {
    const samples = await scrape(setup());
    expect(labelValues(samples, 'ringmaster_transitions_total', 'result')).toEqual(
      [...TRANSITION_RESULTS].sort(),
    );
    expect(labelValues(samples, 'ringmaster_step_duration_seconds_count', 'step')).toEqual([...STEPS].sort());
    expect(labelValues(samples, 'ringmaster_groups', 'state')).toEqual([...GROUP_STATES].sort());
    const events = samples.filter(
      (s) => s.name.startsWith('ringmaster_') && s.name !== 'ringmaster_heap_limit_bytes',
    );
    expect(events.every((s) => s.value === 0)).toBe(true);
  });

  it('counts transitions by result', async () => {
    const bundle = setup();
    bundle.metrics.countTransition('succeeded');
    bundle.metrics.countTransition('succeeded');
    bundle.metrics.countTransition('rolled-back');
    const samples = await scrape(bundle);
    expect(
      Object.fromEntries(
        TRANSITION_RESULTS.map((result) => [
          result,
          valueOf(samples, 'ringmaster_transitions_total', { result }),
        ]),
      ),
    ).toEqual({ succeeded: 2, 'rolled-back': 1, emergency: 0 });
  });

  it('observes step durations per step into buckets from 10 ms to 30 min', async () => {
    const bundle = setup();
    bundle.metrics.observeStep('prepare', 0.2);
    bundle.metrics.observeStep('prepare', 0.3);
    bundle.metrics.observeStep('verify', 600);
    const samples = await scrape(bundle);
    const step = (name: string, labels: Record<string, string>) =>
      valueOf(samples, `ringmaster_step_duration_seconds${name}`, labels);
    expect(step('_count', { step: 'prepare' })).toBe(2);
    expect(step('_sum', { step: 'prepare' })).toBeCloseTo(0.5);
    expect(step('_bucket', { step: 'prepare', le: '0.25' })).toBe(1);
    expect(step('_bucket', { step: 'prepare', le: '0.5' })).toBe(2);
    expect(step('_bucket', { step: 'verify', le: '300' })).toBe(0);
    expect(step('_bucket', { step: 'verify', le: '600' })).toBe(1);
    expect(step('_count', { step: 'cutover' })).toBe(0);
    expect(
      samples
        .filter((s) => s.name === 'ringmaster_step_duration_seconds_bucket' && s.labels.step === 'validate')
        .map((s) => s.labels.le),
    ).toEqual(expect.arrayContaining(['0.01', '1800', '+Inf']));
  });

  it('observes reconcile durations', async () => {
    const bundle = setup();
    bundle.metrics.observeReconcile(1.5);
    bundle.metrics.observeReconcile(4);
    const samples = await scrape(bundle);
    expect(valueOf(samples, 'ringmaster_reconcile_duration_seconds_count')).toBe(2);
    expect(valueOf(samples, 'ringmaster_reconcile_duration_seconds_sum')).toBe(5.5);
    expect(valueOf(samples, 'ringmaster_reconcile_duration_seconds_bucket', { le: '2.5' })).toBe(1);
  });

  it('ignores non-finite durations and invalid dates instead of throwing', async () => {
    const bundle = setup();
    bundle.metrics.observeStep('verify', Number.NaN);
    bundle.metrics.observeReconcile(Number.POSITIVE_INFINITY);
    bundle.metrics.setNewestCommitTime(new Date('not a date'));
    const samples = await scrape(bundle);
    expect(valueOf(samples, 'ringmaster_step_duration_seconds_count', { step: 'verify' })).toBe(0);
    expect(valueOf(samples, 'ringmaster_reconcile_duration_seconds_count')).toBe(0);
    expect(samples.filter((s) => s.name === 'ringmaster_commit_age_seconds')).toEqual([]);
  });

  it('computes the commit age at scrape time from the injected clock', async () => {
    const bundle = setup();
    expect((await scrape(bundle)).filter((s) => s.name === 'ringmaster_commit_age_seconds')).toEqual([]);
    bundle.metrics.setNewestCommitTime(new Date('2026-11-22T09:58:30Z'));
    expect(valueOf(await scrape(bundle), 'ringmaster_commit_age_seconds')).toBe(90);
    now = new Date('2026-11-22T11:00:00Z');
    expect(valueOf(await scrape(bundle), 'ringmaster_commit_age_seconds')).toBe(3690);
  });

  it('sets group counts per state from a status, back to 0 for states no group is in', async () => {
    const bundle = setup();
    bundle.metrics.setGroupStates(STATUS);
    const first = await scrape(bundle);
    expect(
      Object.fromEntries(
        GROUP_STATES.map((state) => [state, valueOf(first, 'ringmaster_groups', { state })]),
      ),
    ).toEqual({ ready: 2, progressing: 0, waiting: 0, held: 1, emergency: 0, suspended: 0 });
    bundle.metrics.setGroupStates({ ...STATUS, groups: STATUS.groups.slice(0, 1) });
    const second = await scrape(bundle);
    expect(valueOf(second, 'ringmaster_groups', { state: 'ready' })).toBe(1);
    expect(valueOf(second, 'ringmaster_groups', { state: 'held' })).toBe(0);
  });

  it('counts waiting groups by what they wait for, back to 0 when they no longer wait', async () => {
    const bundle = setup();
    const waiting = (name: string, reason: string) => ({
      name,
      ring: 'early',
      desiredRelease: '2026.11.2',
      state: 'waiting' as const,
      reason,
    });
    bundle.metrics.setGroupStates({
      ...STATUS,
      groups: [
        waiting('a', 'waiting for approval before cutover: ringmaster approve a@123456789012'),
        waiting('b', 'baking in canary: 0.5h of 24h'),
        waiting('c', 'baking in canary: 0.7h of 24h'),
        waiting('d', 'outside maintenance window; next opens 2026-11-29T01:00:00.000Z'),
        waiting(
          'e',
          'error rate 0.2 on green; a person decides: ringmaster approve e@1 to go on, or ringmaster retry e to measure again',
        ),
        waiting('f', 'something new'),
      ],
    });
    const first = await scrape(bundle);
    const byReason = (samples: typeof first) =>
      Object.fromEntries(
        WAIT_KINDS.map((reason) => [reason, valueOf(samples, 'ringmaster_waiting_groups', { reason })]),
      );
    expect(byReason(first)).toEqual({
      approval: 1,
      decision: 1,
      bake: 2,
      'healthy-before': 0,
      window: 1,
      freeze: 0,
      keep: 0,
      halted: 0,
      stopped: 0,
      other: 1,
    });
    bundle.metrics.setGroupStates(STATUS);
    expect(Object.values(byReason(await scrape(bundle))).every((v) => v === 0)).toBe(true);
  });

  it('keeps each instance on its own registry, with default process metrics, off the global one', async () => {
    const one = setup();
    const two = setup();
    one.metrics.countTransition('emergency');
    expect(valueOf(await scrape(one), 'ringmaster_transitions_total', { result: 'emergency' })).toBe(1);
    expect(valueOf(await scrape(two), 'ringmaster_transitions_total', { result: 'emergency' })).toBe(0);
    expect((await scrape(one)).some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(await globalRegistry.metrics()).not.toContain('ringmaster_');
  });

  it('exports the heap limit of this process beside the default heap metrics', async () => {
    const samples = await scrape(setup());
    expect(valueOf(samples, 'ringmaster_heap_limit_bytes', {})).toBe(getHeapStatistics().heap_size_limit);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('leaves default process metrics out when asked', async () => {
    const bundle = createMetrics({ defaultMetrics: false });
    const names = new Set((await scrape(bundle)).map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
    expect([...names].sort()).toEqual([
      'ringmaster_groups',
      'ringmaster_reconcile_duration_seconds',
      'ringmaster_step_duration_seconds',
      'ringmaster_transitions_total',
      'ringmaster_waiting_groups',
    ]);
  });
});

describe('nullMetrics', () => {
  it('accepts every call and records nothing', () => {
    const calls = [
      nullMetrics.countTransition('succeeded'),
      nullMetrics.observeStep('cutover', 1),
      nullMetrics.observeReconcile(1),
      nullMetrics.setNewestCommitTime(new Date()),
      nullMetrics.setGroupStates(STATUS),
    ];
    expect(calls).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(Object.isFrozen(nullMetrics)).toBe(true);
  });
});
