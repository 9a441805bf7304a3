/**
 * The promote step of a tenant move (see move-steps.ts): inside the joining
 * group's maintenance window, the point of no return journaled first, the
 * replica promoted, the release's sequences Job run per tenant, the registry
 * pointed at the new database, and a standby made where the policy asks.
 * Its undo runs only for a cut-back a human asked for (`ringmaster recover
 * --to cut-back`): the hosts back to the old group, then the release's
 * cutback Job copying back what was written on the new database.
 */
import { PermanentError } from '../errors.js';
import { insideWindow } from '../policy/runtime.js';
import { dataFollows, restoreSourceHosts, targetOf } from './move-steps.js';
import { pollAgain, runTenantJobs } from './prepare-step.js';
import type { Recorded, StepDefinition, TransitionTarget } from './steps.js';

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
