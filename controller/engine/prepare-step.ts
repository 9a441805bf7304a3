/**
 * The prepare step, in parts that each come back (`again`, journaled) while
 * the outside world works: the schema migration Job when the data layout
 * rises; then the new stack beside the old one (or, when only tenants or the
 * ring change, the tenant registry alone, in place: no pod restarts); then a
 * creation Job per tenant that joins, before its host is routed; then the
 * new stack's rollout. What each part did is recorded, so a part done is
 * never done again, and a failure after the stack was made undoes it.
 */
import { isDeepStrictEqual } from 'node:util';
import { type StackColor, snapshotId } from '../model/naming.js';
import type { DatabaseRef, Tenant, TenantJobs } from '../model/types.js';
import type { CallContext, JobSpec } from '../providers/ports.js';
import { failedAfter } from './step-failure.js';
import type { Recorded, StepDefinition, StepDeps, StepResult, TransitionTarget } from './steps.js';

export const removing = (t: TransitionTarget) => t.planned.to === undefined;

export const hostsOf = (tenants: readonly Tenant[]) => tenants.map((tenant) => tenant.host);

/** The colours prepare recorded: what served before, and what serves after the cutover. */
export function colours(recorded: Recorded): { oldColor?: StackColor; newColor: StackColor } {
  const data = recorded.prepare ?? {};
  return { oldColor: data.oldColor as StackColor | undefined, newColor: data.newColor as StackColor };
}

/** Tenants the target has and the applied state had not (all of them for a new group), but those moving in. */
function addedTenants(t: TransitionTarget): string[] {
  const had = new Set([
    ...(t.planned.from?.tenants ?? []).map((x) => x.id),
    ...(t.planned.moveIn?.tenants ?? []),
  ]);
  return (t.planned.to?.tenants ?? []).filter((x) => !had.has(x.id)).map((x) => x.id);
}

/**
 * The tenants a move brings in, served from their old group's database until
 * the move promotes their data here (see move-steps.ts); undefined otherwise.
 */
export function servedElsewhere(t: TransitionTarget): Record<string, DatabaseRef> | undefined {
  const move = t.planned.moveIn;
  if (!move || move.data === 'same') return undefined;
  return Object.fromEntries(move.tenants.map((id) => [id, move.source.resources.database]));
}

/** Tenants the applied state had and the target has not. */
export function removedTenants(t: TransitionTarget): string[] {
  const keeps = new Set((t.planned.to?.tenants ?? []).map((x) => x.id));
  return (t.planned.from?.tenants ?? []).filter((x) => !keeps.has(x.id)).map((x) => x.id);
}

/** True when nothing but tenants or the ring changes: the running stack is updated in place. */
function inPlace(t: TransitionTarget): boolean {
  const { from, to } = t.planned;
  return (
    from !== undefined &&
    to !== undefined &&
    from.release === to.release &&
    isDeepStrictEqual(from.services, to.services) &&
    isDeepStrictEqual(from.resources, to.resources)
  );
}

export function pollAgain(
  deps: StepDeps,
  note: string,
  progress: Record<string, unknown>,
): Extract<StepResult, { again: Date }> {
  return { again: new Date(deps.now().getTime() + (deps.pollIntervalMs ?? 10_000)), note, progress };
}

/** Per kind of tenant Job: where its progress is recorded, and what it does, for the notes. */
const TENANT_JOBS: Record<keyof TenantJobs, { readonly key: string; readonly doing: string }> = {
  create: { key: 'tenantsCreated', doing: 'preparing' },
  remove: { key: 'tenantsRemoved', doing: 'removing' },
  copy: { key: 'tenantsCopied', doing: 'copying the data of' },
  sequences: { key: 'tenantsExtended', doing: 'extending the sequences of' },
  verify: { key: 'tenantsVerified', doing: 'verifying the moved data of' },
  cutback: { key: 'tenantsCutBack', doing: 'copying back what was written on the new database by' },
};

/**
 * Runs the release's `kind` Job for each tenant of `ids` not yet in its
 * progress list (see TENANT_JOBS), one at a time, with `env` besides
 * RINGMASTER_TENANT; comes back while one runs. Without such a Job in the
 * release there is nothing to run.
 */
export async function runTenantJobs(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
  kind: keyof TenantJobs,
  ids: readonly string[],
  progress: Record<string, unknown>,
  env: Readonly<Record<string, string>> = {},
): Promise<{ readonly data: Record<string, unknown> } | Extract<StepResult, { again: Date }>> {
  const template = t.tenantJobs?.[kind];
  const { key, doing } = TENANT_JOBS[kind];
  const done = new Set((progress[key] as string[] | undefined) ?? []);
  let data = progress;
  for (const id of template ? ids : []) {
    if (done.has(id)) continue;
    const state = await deps.providers.cluster.runJob(
      ctx,
      job(t, `tenant-${kind}-${id}`, template!, { ...env, RINGMASTER_TENANT: id }),
    );
    if (!state.done) return pollAgain(deps, `${doing} tenant ${id}: ${state.message}`, data);
    done.add(id);
    data = { ...data, [key]: [...done] };
  }
  return { data };
}

function job(
  t: TransitionTarget,
  name: string,
  template: JobSpec['template'],
  env: Record<string, string>,
): JobSpec {
  return { cluster: t.cluster, namespace: t.namespace, name, template, env };
}

/** Prepare's stack part: what serves now, and the new stack beside it (or the registry alone, in place). */
async function makeStack(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
): Promise<Record<string, unknown>> {
  const { cluster } = deps.providers;
  const active = await cluster.getActive(ctx, t.cluster, t.namespace);
  // A removal builds nothing: it records what serves, so a failed cutover can send the traffic back.
  if (removing(t)) return { oldColor: active?.color, oldRelease: active?.release };
  const databases = servedElsewhere(t);
  const registry = {
    cluster: t.cluster,
    namespace: t.namespace,
    tenants: t.tenants,
    database: t.database,
    ...(databases ? { databases } : {}),
  };
  const secrets = t.secrets.map((s) => s.name);
  if (active && inPlace(t)) {
    const result = await cluster.ensureTenants(ctx, { ...registry, secrets });
    return {
      oldColor: active.color,
      oldRelease: active.release,
      newColor: active.color,
      inPlace: true,
      result,
    };
  }
  const newColor: StackColor = active?.color === 'blue' ? 'green' : 'blue';
  const made = { oldColor: active?.color, oldRelease: active?.release, newColor };
  try {
    const result = await cluster.ensureStack(ctx, {
      ...registry,
      secrets,
      color: newColor,
      release: t.planned.to!.release,
      schemaVersion: t.schemaVersion,
      services: t.services,
    });
    return { ...made, result };
  } catch (err) {
    // Part of the stack may be made: the undo deletes what carries our labels.
    throw failedAfter(err, made);
  }
}

async function prepare(
  t: TransitionTarget,
  ctx: CallContext,
  deps: StepDeps,
  recorded: Recorded,
): Promise<StepResult> {
  if (removing(t)) return { data: await makeStack(t, ctx, deps) };
  let data: Record<string, unknown> = { ...(recorded.prepare ?? {}) };
  const from = t.planned.from?.schemaVersion;
  const raises = from !== undefined && t.schemaVersion > from;
  // A copy of the data before its layout changes, taken once: a snapshot of that id is reused.
  if (raises && t.ringPolicy.backup && data.snapshotReady !== true) {
    const id = snapshotId(ctx.constellation, t.planned.group, t.schemaVersion, t.planned.commit);
    data = { ...data, snapshot: id };
    const state = await deps.providers.database.ensureSnapshot(ctx, t.database, id);
    if (!state.done)
      return pollAgain(deps, `backing up database ${t.database.instance} as ${id}: ${state.message}`, data);
    data = { ...data, snapshotReady: true };
  }
  // The layout first: migrations only add, so what serves now keeps working on it.
  if (t.migration && raises && data.migrated !== t.schemaVersion) {
    const env = { RINGMASTER_SCHEMA_VERSION: String(t.schemaVersion) };
    const state = await deps.providers.cluster.runJob(
      ctx,
      job(t, `migrate-${t.schemaVersion}`, t.migration, env),
    );
    if (!state.done)
      return pollAgain(
        deps,
        `migrating the data layout ${from} → ${t.schemaVersion}: ${state.message}`,
        data,
      );
    data = { ...data, migrated: t.schemaVersion };
  }
  if (data.newColor === undefined) data = { ...data, ...(await makeStack(t, ctx, deps)) };
  try {
    const created = await runTenantJobs(t, ctx, deps, 'create', addedTenants(t), data);
    if ('again' in created) return created;
    data = created.data;
    if (data.inPlace) return { data };
    const newColor = data.newColor as StackColor;
    const rollout = await deps.providers.cluster.rolloutStatus(ctx, t.cluster, t.namespace, newColor);
    return rollout.done
      ? { data }
      : pollAgain(deps, `rolling out the ${newColor} stack: ${rollout.message}`, data);
  } catch (err) {
    throw failedAfter(err, data);
  }
}

/** The prepare step (see the file's comment). */
export const PREPARE: StepDefinition = {
  name: 'prepare',
  applies: () => true,
  undoesFailure: true,
  run: prepare,
  async compensate(t, ctx, deps, recorded) {
    const data = recorded.prepare ?? {};
    const { cluster } = deps.providers;
    const { newColor } = colours(recorded);
    if (newColor && !data.inPlace) await cluster.deleteStack(ctx, t.cluster, t.namespace, newColor);
    // The registry goes back to the tenants the group had (the old stack reads it).
    const had = t.planned.from?.tenants;
    if (newColor && had && !isDeepStrictEqual(had, t.tenants))
      await cluster.ensureTenants(ctx, {
        cluster: t.cluster,
        namespace: t.namespace,
        tenants: had,
        database: t.planned.from!.resources.database,
        secrets: t.planned.from!.resources.secrets.map((s) => s.name),
      });
  },
};
