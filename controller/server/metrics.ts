/**
 * The controller's Prometheus metrics. The engine and the reconciler record
 * through the `Metrics` interface; the HTTP server serves the registry at
 * /metrics. Each call of `createMetrics` owns a fresh registry (never the
 * global default one), so tests and several controllers in one process never
 * collide. Metric names and labels are part of our contract: dashboards and
 * alerts depend on them.
 */
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TransitionStatus } from '../engine/journal.js';
import { STEPS, type StepName } from '../engine/step-names.js';
import type { ControllerStatus, GroupState } from '../state/status-view.js';
import { WAIT_KINDS, type WaitKind, waitKind } from '../state/wait-kinds.js';

/** How a transition ended, as counted by `ringmaster_transitions_total` (waits are a gauge, not an end). */
export type TransitionResult = Extract<TransitionStatus, 'succeeded' | 'rolled-back' | 'emergency'>;

/** Every value of `TransitionResult`, in the order they are exported. */
export const TRANSITION_RESULTS = [
  'succeeded',
  'rolled-back',
  'emergency',
] as const satisfies readonly TransitionResult[];

/** Every value of `GroupState`; the compile-time check below keeps it complete. */
export const GROUP_STATES = [
  'ready',
  'progressing',
  'waiting',
  'held',
  'emergency',
  'suspended',
] as const satisfies readonly GroupState[];

// Fails to compile when GroupState gains a value that GROUP_STATES lacks.
const _allGroupStates: [Exclude<GroupState, (typeof GROUP_STATES)[number]>] extends [never] ? true : false =
  true;

/**
 * Duration buckets in seconds from 10 ms to 30 min: steps range from an
 * instant validation to a long verify grace period or observe window.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800,
];

/**
 * What the engine and the reconciler record. Every method is cheap and never
 * throws; non-finite durations and invalid dates are ignored.
 */
export interface Metrics {
  /** Counts one transition that ended as `result` (`ringmaster_transitions_total`). */
  countTransition(result: TransitionResult): void;
  /** Records how long one step took, retries included (`ringmaster_step_duration_seconds`). */
  observeStep(step: StepName, seconds: number): void;
  /** Records how long one reconcile tick took (`ringmaster_reconcile_duration_seconds`). */
  observeReconcile(seconds: number): void;
  /** Sets the commit time of the newest fetched commit; its age is computed at each scrape. */
  setNewestCommitTime(date: Date): void;
  /**
   * Sets `ringmaster_groups{state}` to how many groups of `status` are in
   * each state, and `ringmaster_waiting_groups{reason}` to how many wait for
   * each kind of reason (0 for none).
   */
  setGroupStates(status: ControllerStatus): void;
}

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** The clock for `ringmaster_commit_age_seconds`; defaults to the system clock. */
  readonly now?: () => Date;
  /** Registers prom-client's default process metrics and `ringmaster_heap_limit_bytes` too; default true. */
  readonly defaultMetrics?: boolean;
}

/** A `Metrics` recorder and the registry it records into. */
export interface MetricsBundle {
  readonly metrics: Metrics;
  readonly registry: Registry;
}

/**
 * Creates the ringmaster_ metrics on a fresh registry, with default process
 * metrics registered on the same registry (unless turned off). Every label
 * value is exported from the start with 0, so rates and alerts work before the
 * first event. `ringmaster_commit_age_seconds` has no sample until
 * `setNewestCommitTime` is called; it may be negative when the commit's clock
 * is ahead of ours.
 */
export function createMetrics(options: MetricsOptions = {}): MetricsBundle {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    defineHeapLimit(registry);
  }
  const { transitions, steps, reconcile, groups, waiting } = defineInstruments(registry);
  const setNewestCommitTime = defineCommitAge(registry, options.now ?? (() => new Date()));
  const metrics: Metrics = {
    countTransition: (result) => transitions.inc({ result }),
    // Non-finite values are dropped: prom-client would throw, and recording a
    // metric must never fail a transition.
    observeStep: (step, seconds) => {
      if (Number.isFinite(seconds)) steps.observe({ step }, seconds);
    },
    observeReconcile: (seconds) => {
      if (Number.isFinite(seconds)) reconcile.observe(seconds);
    },
    setNewestCommitTime,
    setGroupStates: (status) => {
      const counts = new Map<GroupState, number>(GROUP_STATES.map((s) => [s, 0]));
      for (const g of status.groups) counts.set(g.state, (counts.get(g.state) ?? 0) + 1);
      for (const [state, count] of counts) groups.set({ state }, count);
      const kinds = new Map<WaitKind, number>(WAIT_KINDS.map((k) => [k, 0]));
      for (const g of status.groups)
        if (g.state === 'waiting') kinds.set(waitKind(g.reason), (kinds.get(waitKind(g.reason)) ?? 0) + 1);
      for (const [reason, count] of kinds) waiting.set({ reason }, count);
    },
  };
  return { metrics, registry };
}

/** The counter, histograms and state gauge on `registry`, every label value at 0. */
function defineInstruments(registry: Registry) {
  const registers = [registry];
  const transitions = new Counter({
    name: 'ringmaster_transitions_total',
    help: 'Transitions that ended, by how.',
    labelNames: ['result'] as const,
    registers,
  });
  const steps = new Histogram({
    name: 'ringmaster_step_duration_seconds',
    help: 'Duration of transition steps, retries included.',
    labelNames: ['step'] as const,
    buckets: [...DURATION_BUCKETS_SECONDS],
    registers,
  });
  const reconcile = new Histogram({
    name: 'ringmaster_reconcile_duration_seconds',
    help: 'Duration of reconcile ticks.',
    buckets: [...DURATION_BUCKETS_SECONDS],
    registers,
  });
  const groups = new Gauge({
    name: 'ringmaster_groups',
    help: 'Groups by state.',
    labelNames: ['state'] as const,
    registers,
  });
  const waiting = new Gauge({
    name: 'ringmaster_waiting_groups',
    help: 'Groups waiting, by what they wait for (approval, decision, bake, healthy-before, window, freeze, keep, halted, stopped, other).',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const result of TRANSITION_RESULTS) transitions.inc({ result }, 0);
  for (const step of STEPS) steps.zero({ step });
  for (const state of GROUP_STATES) groups.set({ state }, 0);
  for (const reason of WAIT_KINDS) waiting.set({ reason }, 0);
  return { transitions, steps, reconcile, groups, waiting };
}

/** Defines `ringmaster_commit_age_seconds`, computed from `now` at each scrape; returns its setter. */
function defineCommitAge(registry: Registry, now: () => Date): (date: Date) => void {
  let newestCommit: number | undefined;
  new Gauge({
    name: 'ringmaster_commit_age_seconds',
    help: 'Age of the newest fetched commit of the tracked branch, at scrape time.',
    registers: [registry],
    collect() {
      if (newestCommit === undefined) this.remove();
      else this.set((now().getTime() - newestCommit) / 1000);
    },
  });
  return (date) => {
    if (Number.isFinite(date.getTime())) newestCommit = date.getTime();
  };
}

/**
 * Defines `ringmaster_heap_limit_bytes`, the heap this process may use
 * (`--max-old-space-size` plus the young generation), so that an alert can
 * compare `nodejs_heap_size_used_bytes` with it before the process runs out.
 */
function defineHeapLimit(registry: Registry): void {
  new Gauge({
    name: 'ringmaster_heap_limit_bytes',
    help: 'The V8 heap limit of this process; alert when nodejs_heap_size_used_bytes nears it.',
    registers: [registry],
    collect() {
      this.set(getHeapStatistics().heap_size_limit);
    },
  });
}

/** A `Metrics` that records nothing, for callers that serve no metrics (the CLI, most tests). */
export const nullMetrics: Metrics = Object.freeze({
  countTransition: () => {},
  observeStep: () => {},
  observeReconcile: () => {},
  setNewestCommitTime: () => {},
  setGroupStates: () => {},
});
