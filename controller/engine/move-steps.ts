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
 * - promote (promote-step.ts): inside the group's maintenance window, where
 *   it has one, the replica is promoted, the release's sequences Job runs per
 *   tenant and the registry serves the tenants from this group's database.
 *
 * Where both groups use the same instance (a group renamed, say) the data
 * stays where it is: neither step applies.
 *
 * Until promotion every step undoes (the tenants' hosts go back to the old
 * group, whose data never stopped being theirs). Promotion is not undone on
 * a failure: from the moment it is asked for, a failure leaves the group in
 * emergency, saying where the data is (see PROMOTE's `noReturn`). A human may then ask
 * for the cut-back (`ringmaster recover GROUP --to cut-back`, see
 * engine/recover.ts): the hosts go back to the old group, the release's
 * cutback Job copies what was written on the new database since back into
 * the old one, and the rest undoes as before, except that the promoted
 * database is kept for a human to delete.
 */
import { PermanentError } from '../errors.js';
import type { DatabaseRef } from '../model/types.js';
import type { CallContext } from '../providers/ports.js';
import { failedAfter } from './step-failure.js';
import { measure, record } from './health-check.js';
import { hostsOf, pollAgain, runTenantJobs } from './prepare-step.js';
import type { StepDefinition, StepDeps, StepResult, TransitionTarget } from './steps.js';

export const moving = (t: TransitionTarget) => t.planned.moveIn !== undefined;

/** A move whose data must follow: the two groups use different database instances. */
export const dataFollows = (t: TransitionTarget) => moving(t) && t.planned.moveIn!.data !== 'same';

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
export const targetOf = (db: DatabaseRef) => ({
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
