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
 * group, whose data never stopped being theirs). Promotion is not undone on
 * a failure: from the moment it is asked for, a failure leaves the group in
 * emergency, saying where the data is (see `noReturn`). A human may then ask
 * for the cut-back (`ringmaster recover GROUP --to cut-back`, see
 * engine/recover.ts): the hosts go back to the old group, the release's
 * cutback Job copies what was written on the new database since back into
 * the old one, and the rest undoes as before, except that the promoted
 * database is kept for a human to delete.
 */
import { PermanentError } from '../errors.js';
import type { DatabaseRef } from '../model/types.js';
import { insideWindow } from '../policy/runtime.js';
import type { CallContext } from '../providers/ports.js';
import { failedAfter } from './step-failure.js';
import { measure, record } from './health-check.js';
import { hostsOf, pollAgain, runTenantJobs } from './prepare-step.js';
import type { Recorded, StepDefinition, StepDeps, StepResult, TransitionTarget } from './steps.js';

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

/** The database the data goes to, as a Job is told it. */
const targetOf = (db: DatabaseRef) => ({
  RINGMASTER_TARGET_INSTANCE: db.instance,
  RINGMASTER_TARGET_ENGINE: db.engine,
});

const sourceEnv = (t: TransitionTarget) => {
  const db = t.planned.moveIn!.source.resources.database;
  return { RINGMASTER_SOURCE_INSTANCE: db.instance, RINGMASTER_SOURCE_ENGINE: db.engine };
};

/**
 * The policy's queries judged during `replicate` (replica lag, say), once the
 * replica's database reports it in sync: true when every one passes; else
 * the step comes back at the next poll with the measurements in its
 * progress, so that a lagging replica waits for itself to catch up. An
 * inconclusive measurement of a query with `inconclusive: fail` fails the
 * move (it is then cut back).
 */
async function judgeReplica(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
  progress: Record<string, unknown>,
): Promise<true | StepResult> {
  const queries = t.analysis.filter((q) => q.during.includes('replicate'));
  if (!queries.length) return true;
  const now = deps.now();
  const judged = [];
  for (const q of queries) {
    const j = await measure(t, ctx, deps, '', q);
    if (j.verdict === 'inconclusive' && q.inconclusive === 'fail')
      throw failedAfter(
        new PermanentError('AnalysisInconclusive', `${j.text} on ${t.database.instance}`),
        progress,
      );
    judged.push(record(q, j, now));
  }
  const behind = judged.filter((r) => r.verdict !== 'pass');
  if (!behind.length) return true;
  const { inSync: _notYet, ...rest } = progress;
  return pollAgain(
    deps,
    `${t.database.instance} replicates; waiting for it to catch up: ${behind.map((r) => r.text).join('; ')}`,
    { ...rest, replicaChecks: judged },
  );
}

export const REPLICATE: StepDefinition = {
  name: 'replicate',
  applies: dataFollows,
  undoesFailure: true,
  async run(t, ctx, deps, recorded) {
    const move = t.planned.moveIn!;
    let progress: Record<string, unknown> = { ...(recorded.replicate ?? {}) };
    if (move.data === 'copy') {
      const copied = await runTenantJobs(t, ctx, deps, 'copy', move.tenants, progress, sourceEnv(t));
      if ('again' in copied) return copied;
      progress = copied.data;
    } else if (progress.inSync !== true) {
      const from = move.source.resources.database;
      const made = { ...progress, replica: t.database.instance, of: from.instance };
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
      progress = { ...made, inSync: true };
      const caughtUp = await judgeReplica(t, ctx, deps, progress);
      if (caughtUp !== true) return caughtUp;
    }
    // The data is in place: the release's verification Job judges it per tenant before anything is promoted.
    try {
      const verified = await runTenantJobs(t, ctx, deps, 'verify', move.tenants, progress, {
        ...sourceEnv(t),
        ...targetOf(t.database),
      });
      if ('again' in verified) return verified;
      return { data: verified.data };
    } catch (err) {
      throw failedAfter(err, progress);
    }
  },
  async compensate(t, ctx, deps, recorded) {
    const move = t.planned.moveIn!;
    // Past promotion (a cut-back a human asked for) the new database holds what the tenants wrote: it is kept.
    if (recorded.promote?.promoting !== undefined) return;
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

/**
 * Whether the tenants may have written on the new database: the registry was
 * pointed at it, or was being pointed (promotion and sequences were through).
 * `record` is the promote step's data.
 */
export function writesMayBeThere(t: TransitionTarget, record: Recorded['promote']): boolean {
  if (record?.registry !== undefined) return true;
  if (record?.promoting === undefined) return false;
  const move = t.planned.moveIn!;
  if (move.data === 'replica' && record.promoted !== true) return false;
  const extended = new Set((record.tenantsExtended as string[] | undefined) ?? []);
  return !t.tenantJobs?.sequences || move.tenants.every((id) => extended.has(id));
}

/** The old group's database, as the cutback Job is told it. */
const targetEnv = (t: TransitionTarget) => targetOf(t.planned.moveIn!.source.resources.database);

export const PROMOTE: StepDefinition = {
  name: 'promote',
  applies: dataFollows,
  // A promotion that failed half way may have pointed the registry: a cut-back copies back all the same.
  undoesFailure: true,
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
    if (progress.registry === undefined) {
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
      progress = { ...extended.data, registry: result, at: deps.now().toISOString() };
    }
    // Redundancy, where the policy asks: made once the tenants are served from the new database, without an outage.
    if (t.standby && progress.standby !== true) {
      const state = await deps.providers.database.ensureStandby(ctx, t.database);
      if (!state.done) return pollAgain(deps, `${t.database.instance} serves; ${state.message}`, progress);
      progress = { ...progress, standby: true };
    }
    return { data: progress };
  },
  /**
   * Only a cut-back a human asked for comes here (a failure past promotion is
   * an emergency, see noReturn). The hosts go back to the old group first, so
   * nothing more is written on the new database; then the release's cutback
   * Job copies what was written there back, tenant by tenant.
   */
  async compensate(t, ctx, deps, recorded) {
    const move = t.planned.moveIn!;
    await restoreSourceHosts(t, ctx, deps);
    if (!writesMayBeThere(t, recorded.promote)) return;
    if (!t.tenantJobs?.cutback)
      throw new PermanentError(
        'NoCutbackJob',
        `tenant ${move.tenants.join(', ')} may have written on ${t.database.instance} since promotion, and release ${t.planned.to!.release} declares no tenantJobs.cutback to copy that back to ${move.source.resources.database.instance}; copy it back by hand, then run ringmaster recover ${t.planned.group} --to previous`,
      );
    for (;;) {
      const copied = await runTenantJobs(t, ctx, deps, 'cutback', move.tenants, {}, targetEnv(t));
      if (!('again' in copied)) return;
      await deps.sleep(deps.pollIntervalMs ?? 10_000);
    }
  },
  noReturn(t, record) {
    if (record.data?.promoting === undefined) return undefined;
    const move = t.planned.moveIn!;
    const from = move.source.resources.database.instance;
    const where =
      move.data === 'replica'
        ? `${t.database.instance} was promoted (or being promoted) from a replica of ${from}`
        : `their data was copied into ${t.database.instance}`;
    return `tenant ${move.tenants.join(', ')} moved past the point of no return: ${where}, and writes since may exist only there, while ${from} keeps their data as of then; the controller does not undo a promotion. Check both databases, then run ringmaster recover ${t.planned.group} --to target to keep the move, --to cut-back to have the controller route the tenants back to ${move.from} and copy what they wrote since back with the release's cutback Job, or --to previous once they are cut back by hand`;
  },
};
