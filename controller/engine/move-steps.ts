/**
 * What a tenant move adds to the transition of the group the tenants join
 * (see plan/move-plan.ts). Prepare has built the group's stack with a
 * registry that serves the moving tenants from their old group's database;
 * the cutover routes their hosts here, then takes them off the old group's
 * routing (added before taken away, so a host is never left unrouted). Then:
 *
 * - replicate: the data follows, as a read replica of the old group's
 *   database made as this group's instance (a new group on an instance of
 *   its own), or by the release's copy Job per tenant into the instance the
 *   group has;
 * - promote: inside the group's maintenance window, where it has one, the
 *   replica is promoted, the release's sequences Job runs per tenant and the
 *   registry serves the tenants from this group's database.
 *
 * Where both groups use the same instance (a group renamed, say) the data
 * stays where it is: neither step applies.
 *
 * Until promotion every step undoes (the tenants' hosts go back to the old
 * group, whose data never stopped being theirs). Promotion cannot be undone
 * by the controller: from the moment it is asked for, a failure leaves the
 * group in emergency, saying where the data is (see `noReturn`).
 */
import { PermanentError } from '../errors.js';
import { insideWindow } from '../policy/runtime.js';
import type { CallContext } from '../providers/ports.js';
import { failedAfter } from './step-failure.js';
import { hostsOf, pollAgain, runTenantJobs } from './prepare-step.js';
import type { StepDefinition, StepDeps, TransitionTarget } from './steps.js';

export const moving = (t: TransitionTarget) => t.planned.moveIn !== undefined;

/** A move whose data must follow: the two groups use different database instances. */
const dataFollows = (t: TransitionTarget) => moving(t) && t.planned.moveIn!.data !== 'same';

/** The old group's hosts but those of the tenants moving away: what it routes once they are cut over. */
function sourceHostsKept(t: TransitionTarget): string[] {
  const move = t.planned.moveIn!;
  const leaving = new Set(move.tenants);
  return hostsOf(move.source.tenants.filter((x) => !leaving.has(x.id)));
}

/**
 * The context of a call on the old group's objects: they are that group's
 * (its names and labels), though this transition makes the call.
 */
function sourceContext(t: TransitionTarget, ctx: CallContext): CallContext {
  return { ...ctx, group: t.planned.moveIn!.from };
}

/**
 * After the tenants' hosts are routed to this group: the old group stops
 * routing them. Returns the colour it serves with (none: it serves nothing).
 */
export async function releaseSourceHosts(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
): Promise<string | null> {
  const { cluster, namespace } = t.planned.moveIn!.source.resources;
  const as = sourceContext(t, ctx);
  const active = await deps.providers.cluster.getActive(as, cluster, namespace);
  if (active)
    await deps.providers.cluster.switchTraffic(as, cluster, namespace, active.color, sourceHostsKept(t));
  return active?.color ?? null;
}

/** Undoing a cutover: the old group routes every host it had again (before this group lets go of them). */
export async function restoreSourceHosts(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
): Promise<void> {
  const { source } = t.planned.moveIn!;
  const { cluster, namespace } = source.resources;
  const as = sourceContext(t, ctx);
  const active = await deps.providers.cluster.getActive(as, cluster, namespace);
  if (active)
    await deps.providers.cluster.switchTraffic(as, cluster, namespace, active.color, hostsOf(source.tenants));
}

/** The move's checks at validate: the data can follow as planned. */
export async function checkMove(t: TransitionTarget, ctx: CallContext, deps: StepDeps): Promise<void> {
  const move = t.planned.moveIn!;
  const from = move.source.resources.database;
  const { database } = deps.providers;
  if (move.data === 'replica') return database.checkReplicable(ctx, from, t.database);
  await database.checkAvailable(ctx, t.database);
  if (move.data === 'same') return;
  await database.checkAvailable(ctx, from);
  if (!t.tenantJobs?.copy)
    throw new PermanentError(
      'NoCopyJob',
      `tenant ${move.tenants.join(', ')} moves into ${t.planned.group}, which has its own database already, and release ${t.planned.to!.release} declares no tenantJobs.copy to bring the data; add one to the release`,
    );
}

const sourceEnv = (t: TransitionTarget) => {
  const db = t.planned.moveIn!.source.resources.database;
  return { RINGMASTER_SOURCE_INSTANCE: db.instance, RINGMASTER_SOURCE_ENGINE: db.engine };
};

export const REPLICATE: StepDefinition = {
  name: 'replicate',
  applies: dataFollows,
  undoesFailure: true,
  async run(t, ctx, deps, recorded) {
    const move = t.planned.moveIn!;
    const progress = { ...(recorded.replicate ?? {}) };
    if (move.data === 'copy')
      return runTenantJobs(t, ctx, deps, 'copy', move.tenants, progress, sourceEnv(t));
    const from = move.source.resources.database;
    const made = { replica: t.database.instance, of: from.instance };
    let state;
    try {
      state = await deps.providers.database.ensureReplica(ctx, from, t.database);
    } catch (err) {
      // The replica may have been asked for: its undo deletes it.
      throw failedAfter(err, made);
    }
    if (!state.done)
      return pollAgain(
        deps,
        `replicating ${from.instance} as ${t.database.instance}: ${state.message}`,
        made,
      );
    return { data: made };
  },
  async compensate(t, ctx, deps) {
    const move = t.planned.moveIn!;
    if (move.data === 'replica') {
      await deps.providers.database.deleteReplica(ctx, t.database);
      return;
    }
    // The copies go the way a departing tenant's data goes: the release's removal Job.
    for (;;) {
      const removed = await runTenantJobs(t, ctx, deps, 'remove', move.tenants, {});
      if (!('again' in removed)) return;
      await deps.sleep(deps.pollIntervalMs ?? 10_000);
    }
  },
};

export const PROMOTE: StepDefinition = {
  name: 'promote',
  applies: dataFollows,
  async run(t, ctx, deps, recorded) {
    const move = t.planned.moveIn!;
    let progress: Record<string, unknown> = { ...(recorded.promote ?? {}) };
    const who = `tenant${move.tenants.length === 1 ? '' : 's'} ${move.tenants.join(', ')}`;
    if (progress.promoting === undefined) {
      const window = t.window ? insideWindow(t.window, deps.now()) : undefined;
      if (window && !window.go)
        return {
          waiting: `promoting the data of ${who} in the maintenance window: ${window.reason}`,
          ...(window.until ? { until: new Date(window.until) } : {}),
        };
      // The point of no return, on disk before the call that crosses it.
      return {
        again: deps.now(),
        note: `promoting the data of ${who}`,
        progress: { promoting: deps.now().toISOString() },
      };
    }
    if (move.data === 'replica' && progress.promoted !== true) {
      const state = await deps.providers.database.promoteReplica(ctx, t.database);
      if (!state.done) return pollAgain(deps, `promoting ${t.database.instance}: ${state.message}`, progress);
      progress = { ...progress, promoted: true };
    }
    const extended = await runTenantJobs(t, ctx, deps, 'sequences', move.tenants, progress);
    if ('again' in extended) return extended;
    // From now on the registry serves the tenants from this group's own database.
    const result = await deps.providers.cluster.ensureTenants(ctx, {
      cluster: t.cluster,
      namespace: t.namespace,
      tenants: t.tenants,
      database: t.database,
      secrets: t.secrets.map((s) => s.name),
    });
    return { data: { ...extended.data, registry: result, at: deps.now().toISOString() } };
  },
  noReturn(t, record) {
    if (record.data?.promoting === undefined) return undefined;
    const move = t.planned.moveIn!;
    const from = move.source.resources.database.instance;
    const where =
      move.data === 'replica'
        ? `${t.database.instance} was promoted (or being promoted) from a replica of ${from}`
        : `their data was copied into ${t.database.instance}`;
    return `tenant ${move.tenants.join(', ')} moved past the point of no return: ${where}, and writes since may exist only there, while ${from} keeps their data as of then; the controller does not undo a promotion. Check both databases, then run ringmaster recover ${t.planned.group} --to target to keep the move, or --to previous once the tenants are cut back to ${move.from} by hand`;
  },
};
