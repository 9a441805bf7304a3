/**
 * The steps of a transition and their compensations. Every step is idempotent
 * (a crash mid-step re-runs it) and reads only the transition and what earlier
 * steps recorded, so a resumed transition behaves as an uninterrupted one.
 */
import { PermanentError } from '../errors.js';
import type { StackColor } from '../model/naming.js';
import type { DatabaseRef, RingPolicy, SecretRef, Tenant } from '../model/types.js';
import type { CallContext, Providers, ServiceSpec } from '../providers/ports.js';
import type { StepName } from './step-names.js';
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
  readonly ringPolicy: RingPolicy;
  readonly gracePeriodMs: number;
  readonly observeMs: number;
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
  | { readonly waiting: string; readonly until?: Date }
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
}

/** Side data of failed runs, by error: what the run had changed before it failed. */
const failureData = new WeakMap<object, Record<string, unknown>>();

/**
 * `err`, marked as thrown after the run changed what `data` says: the engine
 * records `data` with the failed step, for its compensation to undo.
 */
export function failedAfter(err: unknown, data: Record<string, unknown>): unknown {
  if (typeof err === 'object' && err !== null) failureData.set(err, data);
  return err;
}

/** What a failed run had changed before it threw `err`, if it said so (see `failedAfter`). */
export function failureDataOf(err: unknown): Record<string, unknown> | undefined {
  return typeof err === 'object' && err !== null ? failureData.get(err) : undefined;
}

const removing = (t: TransitionTarget) => t.planned.to === undefined;

const hostsOf = (tenants: readonly Tenant[]) => tenants.map((tenant) => tenant.host);

function colours(recorded: Recorded): { oldColor?: StackColor; newColor: StackColor } {
  const data = recorded.prepare ?? {};
  return { oldColor: data.oldColor as StackColor | undefined, newColor: data.newColor as StackColor };
}

/**
 * One health check of a grace or observe period of `periodMs`: a check every
 * `healthIntervalMs`, the first at once. `progress` is what earlier checks
 * recorded (`passed`, `nextAt`). Throws PermanentError on an unhealthy check;
 * comes back `again` until the period's checks have all passed.
 */
async function checkHealth(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
  color: StackColor,
  periodMs: number,
  progress: Readonly<Record<string, unknown>> | undefined,
  doing: string,
): Promise<StepResult> {
  const checks = Math.max(1, Math.ceil(periodMs / deps.healthIntervalMs));
  const passed = typeof progress?.passed === 'number' ? progress.passed : 0;
  const nextAt = typeof progress?.nextAt === 'string' ? new Date(progress.nextAt) : undefined;
  // Woken early (a restart, a look): not time for the next check yet.
  if (nextAt && deps.now() < nextAt)
    return {
      again: nextAt,
      note: `${doing}: ${passed} of ${checks} checks healthy`,
      progress: { ...progress },
    };
  const report = await deps.providers.health.check(ctx, t.cluster, t.namespace, color);
  if (!report.healthy) {
    throw new PermanentError(
      'Unhealthy',
      `${color} stack of group ${t.planned.group} is unhealthy at check ${passed + 1} of ${checks}: ${report.reason ?? 'no reason given'}`,
    );
  }
  if (passed + 1 >= checks) return { data: { color, checks } };
  const again = new Date(deps.now().getTime() + deps.healthIntervalMs);
  return {
    again,
    note: `${doing}: ${passed + 1} of ${checks} checks healthy`,
    progress: { color, passed: passed + 1, nextAt: again.toISOString() },
  };
}

/**
 * Prepare's first run: what serves now, and (unless the group is removed) the
 * new stack beside it, made or brought up to date. Returns the side data to record.
 */
async function makeStack(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
): Promise<Record<string, unknown>> {
  const active = await deps.providers.cluster.getActive(ctx, t.cluster, t.namespace);
  // A removal builds nothing: it records what serves, so a failed cutover can send the traffic back.
  if (removing(t)) return { oldColor: active?.color, oldRelease: active?.release };
  const newColor: StackColor = active?.color === 'blue' ? 'green' : 'blue';
  const result = await deps.providers.cluster.ensureStack(ctx, {
    cluster: t.cluster,
    namespace: t.namespace,
    color: newColor,
    release: t.planned.to!.release,
    schemaVersion: t.schemaVersion,
    services: t.services,
    tenants: t.tenants,
    database: t.database,
    secrets: t.secrets.map((s) => s.name),
  });
  return { oldColor: active?.color, oldRelease: active?.release, newColor, result };
}

/** The steps in order: validate, prepare, verify, gate, cutover, observe, finalize. */
export const STEP_DEFINITIONS: readonly StepDefinition[] = [
  {
    name: 'validate',
    applies: (t) => !removing(t),
    async run(t, ctx, deps) {
      await deps.providers.cluster.checkAccess(ctx, t.cluster, t.namespace);
      for (const secret of t.secrets) await deps.providers.secrets.checkKeys(ctx, secret);
      await deps.providers.database.checkAvailable(ctx, t.database);
      return { data: { secrets: t.secrets.length, database: t.database.instance } };
    },
  },
  {
    name: 'prepare',
    applies: () => true,
    undoesFailure: true,
    async run(t, ctx, deps, recorded) {
      // Coming back while the new stack rolls out: it is made, only its rollout is looked at again.
      const made = recorded.prepare?.newColor === undefined ? undefined : recorded.prepare;
      const data = made ?? (await makeStack(t, ctx, deps));
      if (removing(t)) return { data };
      const newColor = data.newColor as StackColor;
      let rollout;
      try {
        rollout = await deps.providers.cluster.rolloutStatus(ctx, t.cluster, t.namespace, newColor);
      } catch (err) {
        throw failedAfter(err, data);
      }
      if (rollout.done) return { data };
      const again = new Date(deps.now().getTime() + (deps.pollIntervalMs ?? 10_000));
      return { again, note: `rolling out the ${newColor} stack: ${rollout.message}`, progress: data };
    },
    async compensate(t, ctx, deps, recorded) {
      const { newColor } = colours(recorded);
      if (newColor) await deps.providers.cluster.deleteStack(ctx, t.cluster, t.namespace, newColor);
    },
  },
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
      const { newColor } = colours(recorded);
      await deps.providers.cluster.switchTraffic(ctx, t.cluster, t.namespace, newColor, hostsOf(t.tenants));
      return { data: { color: newColor, at: deps.now().toISOString() } };
    },
    async compensate(t, ctx, deps, recorded) {
      const { oldColor } = colours(recorded);
      // The old stack serves the tenants it served: those of the state the group had.
      const hosts = hostsOf(t.planned.from?.tenants ?? t.tenants);
      if (oldColor) await deps.providers.cluster.switchTraffic(ctx, t.cluster, t.namespace, oldColor, hosts);
    },
  },
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
      const { oldColor } = colours(recorded);
      if (!oldColor) return { data: { retired: [] } };
      const cutAt = Date.parse(String(recorded.cutover?.at ?? deps.now().toISOString()));
      const until = cutAt + t.ringPolicy.keepMs;
      if (deps.now().getTime() < until)
        return {
          waiting: `keeping the ${oldColor} stack until ${new Date(until).toISOString()}`,
          until: new Date(until),
        };
      await deps.providers.cluster.deleteStack(ctx, t.cluster, t.namespace, oldColor);
      return { data: { retired: [oldColor] } };
    },
  },
];
