/**
 * The steps of a transition and their compensations. Every step is idempotent
 * (a crash mid-step re-runs it) and reads only the transition and what earlier
 * steps recorded, so a resumed transition behaves as an uninterrupted one.
 */
import { PermanentError } from '../errors.js';
import { checkHealth } from './health-check.js';
import { PREPARE, colours, hostsOf, removedTenants, removing, runTenantJobs } from './prepare-step.js';
import type { StackColor } from '../model/naming.js';
import type {
  AnalysisQuery,
  DatabaseRef,
  JobTemplate,
  MaintenanceWindow,
  RingPolicy,
  SecretRef,
  Tenant,
  TenantJobs,
} from '../model/types.js';
import type { CallContext, Providers, ServiceSpec } from '../providers/ports.js';
import type { StepName } from './step-names.js';
import type { StepRecord } from './journal.js';
import { REPLICATE, checkMove, moving, releaseSourceHosts, restoreSourceHosts } from './move-steps.js';
import { PROMOTE } from './promote-step.js';
import type { PlannedTransition } from '../plan/transitions.js';

/** Everything a transition's steps need to know about its target. */
export interface TransitionTarget {
  readonly planned: PlannedTransition;
  readonly cluster: string;
  readonly namespace: string;
  readonly database: DatabaseRef;
  readonly secrets: readonly SecretRef[];
  /** The services of the target release; empty when the group is removed. */
  readonly services: Readonly<Record<string, ServiceSpec>>;
  /** The data layout version of the target release (of the applied one for a removal). */
  readonly schemaVersion: number;
  /** The group's tenants as the target asks (as applied, for a removal). */
  readonly tenants: readonly Tenant[];
  /** The target release's schema migration, if it has one. */
  readonly migration?: JobTemplate;
  /** The release's jobs for tenants joining and leaving (the applied release's, for a removal). */
  readonly tenantJobs?: TenantJobs;
  readonly ringPolicy: RingPolicy;
  /** The group's maintenance window, where it has one: a tenant move promotes its data inside it. */
  readonly window?: MaintenanceWindow;
  /** A tenant move whose replica is promoted gives it a standby in another zone (the policy's moves.standby). */
  readonly standby?: true;
  readonly gracePeriodMs: number;
  readonly observeMs: number;
  /** The queries judged on the new stack during the grace and observe periods (none: readiness alone). */
  readonly analysis: readonly AnalysisQuery[];
}

/** What the steps may use besides the providers. */
export interface StepDeps {
  readonly providers: Providers;
  readonly now: () => Date;
  /** Waits `ms`; rejects at once when the controller stops (see EngineDeps.signal). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Time between two health checks of a grace or observe period. */
  readonly healthIntervalMs: number;
  /** Time between two looks at a rollout under way (10 seconds when absent). */
  readonly pollIntervalMs?: number;
  /** Whether a human approved this transition (for `gate: manual`). */
  readonly isApproved: (transition: string) => Promise<boolean>;
  /** Whether a person asked to measure again a transition waiting on an inconclusive measurement (a Retry). */
  readonly isRetried?: (transition: string) => Promise<boolean>;
}

/**
 * How a run of a step ended: done (with side data to record); waiting for
 * something outside the controller's hands (an approval, a window, the end
 * of a keep time, `until` where known); or part-way, to run `again` at a time
 * with its `progress` recorded (a health check of a grace period: the step
 * holds no worker between two checks, and each check is in the journal).
 */
export type StepResult =
  | { readonly data?: Record<string, unknown> }
  | { readonly waiting: string; readonly until?: Date; readonly progress?: Record<string, unknown> }
  | { readonly again: Date; readonly note: string; readonly progress: Record<string, unknown> };

/** Side data recorded by earlier steps, by step name. */
export type Recorded = Partial<Record<StepName, Readonly<Record<string, unknown>>>>;

export interface StepDefinition {
  readonly name: StepName;
  /** False when the step has nothing to do for this transition (it is then not recorded). */
  applies(t: TransitionTarget): boolean;
  run(t: TransitionTarget, ctx: CallContext, deps: StepDeps, recorded: Recorded): Promise<StepResult>;
  /** Undoes the step; absent when there is nothing to undo. */
  compensate?(t: TransitionTarget, ctx: CallContext, deps: StepDeps, recorded: Recorded): Promise<void>;
  /**
   * True when a run that failed may have changed the world: its compensation
   * then runs on a failure too, when the failed run left side data (see
   * `failedAfter`) saying what it changed.
   */
  readonly undoesFailure?: boolean;
  /**
   * Says, once the step's record shows it began what cannot be undone (a
   * tenant's data promoted to its new database), what a failure from then on
   * means: the engine leaves the group in emergency with this message instead
   * of undoing the steps. Undefined while the step can still be undone.
   */
  noReturn?(t: TransitionTarget, record: StepRecord): string | undefined;
}

/**
 * One step of the cutover (see RingPolicy.traffic): after the first, a health
 * check of the new stack; then its share of the traffic rises to the step's;
 * comes back one health interval later until the share is 100.
 */
async function shiftTraffic(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
  color: StackColor,
  progress: Readonly<Record<string, unknown>> | undefined,
): Promise<StepResult> {
  const steps = t.ringPolicy.traffic;
  const stage = typeof progress?.stage === 'number' ? progress.stage : 0;
  const nextAt = typeof progress?.nextAt === 'string' ? new Date(progress.nextAt) : undefined;
  if (nextAt && deps.now() < nextAt)
    return { again: nextAt, note: `cutover: ${steps[stage - 1]}% on ${color}`, progress: { ...progress } };
  if (stage > 0) {
    const report = await deps.providers.health.check(ctx, t.cluster, t.namespace, color);
    if (!report.healthy)
      throw new PermanentError(
        'Unhealthy',
        `${color} stack of group ${t.planned.group} is unhealthy with ${steps[stage - 1]}% of the traffic: ${report.reason ?? 'no reason given'}`,
      );
  }
  const weight = steps[stage] ?? 100;
  await deps.providers.cluster.switchTraffic(ctx, t.cluster, t.namespace, color, hostsOf(t.tenants), weight);
  if (weight >= 100) return { data: { color, at: deps.now().toISOString() } };
  const again = new Date(deps.now().getTime() + deps.healthIntervalMs);
  return {
    again,
    note: `cutover: ${weight}% on ${color}`,
    progress: { stage: stage + 1, nextAt: again.toISOString() },
  };
}

/** The steps in order: validate, prepare, verify, gate, cutover, replicate, promote (moves alone), observe, finalize. */
export const STEP_DEFINITIONS: readonly StepDefinition[] = [
  {
    name: 'validate',
    applies: (t) => !removing(t),
    async run(t, ctx, deps) {
      await deps.providers.cluster.checkAccess(ctx, t.cluster, t.namespace);
      for (const secret of t.secrets) await deps.providers.secrets.checkKeys(ctx, secret, t.database.region);
      // A move's new instance is made by the move itself (a replica of the old group's).
      if (moving(t)) await checkMove(t, ctx, deps);
      else await deps.providers.database.checkAvailable(ctx, t.database);
      return { data: { secrets: t.secrets.length, database: t.database.instance } };
    },
  },
  PREPARE,
  {
    name: 'verify',
    applies: (t) => !removing(t),
    run: (t, ctx, deps, recorded) =>
      checkHealth(t, ctx, deps, colours(recorded).newColor, t.gracePeriodMs, recorded.verify, 'verifying'),
  },
  {
    name: 'gate',
    applies: (t) => t.ringPolicy.gate === 'manual',
    async run(t, _ctx, deps) {
      if (await deps.isApproved(t.planned.id)) return { data: { approved: true } };
      return { waiting: `waiting for approval before cutover: ringmaster approve ${t.planned.id}` };
    },
  },
  {
    name: 'cutover',
    applies: () => true,
    async run(t, ctx, deps, recorded) {
      if (removing(t)) {
        // Traffic stops before the stacks go, so clients are turned away cleanly rather than failing.
        await deps.providers.cluster.stopTraffic(ctx, t.cluster, t.namespace);
        return { data: { stopped: colours(recorded).oldColor ?? null, at: deps.now().toISOString() } };
      }
      const shifted = await shiftTraffic(t, ctx, deps, colours(recorded).newColor, recorded.cutover);
      if ('data' in shifted && moving(t))
        return { data: { ...shifted.data, source: await releaseSourceHosts(t, ctx, deps) } };
      return shifted;
    },
    async compensate(t, ctx, deps, recorded) {
      // Moving tenants are routed by their old group again before this group lets go of them.
      if (moving(t)) await restoreSourceHosts(t, ctx, deps);
      const { oldColor } = colours(recorded);
      // The old stack serves the tenants it served: those of the state the group had.
      const hosts = hostsOf(t.planned.from?.tenants ?? t.tenants);
      if (oldColor) await deps.providers.cluster.switchTraffic(ctx, t.cluster, t.namespace, oldColor, hosts);
      else if (moving(t)) await deps.providers.cluster.stopTraffic(ctx, t.cluster, t.namespace);
    },
  },
  REPLICATE,
  PROMOTE,
  {
    name: 'observe',
    applies: (t) => !removing(t),
    run: (t, ctx, deps, recorded) =>
      checkHealth(t, ctx, deps, colours(recorded).newColor, t.observeMs, recorded.observe, 'observing'),
  },
  {
    name: 'finalize',
    applies: () => true,
    async run(t, ctx, deps, recorded) {
      if (removing(t)) {
        for (const color of ['blue', 'green'] as const)
          await deps.providers.cluster.deleteStack(ctx, t.cluster, t.namespace, color);
        return { data: { retired: ['blue', 'green'] } };
      }
      const { oldColor, newColor } = colours(recorded);
      // Updated in place (tenants or ring only), nothing is retired but what departed tenants left behind.
      const retiring = oldColor !== undefined && oldColor !== newColor ? oldColor : undefined;
      const departed = removedTenants(t);
      if (!retiring && departed.length === 0) return { data: { retired: [] } };
      const cutAt = Date.parse(String(recorded.cutover?.at ?? deps.now().toISOString()));
      const until = cutAt + t.ringPolicy.keepMs;
      if (deps.now().getTime() < until) {
        const what = retiring
          ? `the ${retiring} stack`
          : `what departed tenants left (${departed.join(', ')})`;
        return { waiting: `keeping ${what} until ${new Date(until).toISOString()}`, until: new Date(until) };
      }
      if (retiring) await deps.providers.cluster.deleteStack(ctx, t.cluster, t.namespace, retiring);
      const progress = { retired: retiring ? [retiring] : [], ...(recorded.finalize ?? {}) };
      return runTenantJobs(t, ctx, deps, 'remove', departed, progress);
    },
  },
];
