/**
 * Ending a group's emergency. A human either made the world match one side
 * and says which (`recoverGroup`, --to previous or target), or, for a tenant
 * move that failed past promotion, asks the controller to cut the tenants
 * back (`cutBackMove`, --to cut-back).
 */
import { ConfigurationError, NotFoundError } from '../errors.js';
import { snapshotHash } from '../plan/snapshot.js';
import type { StateStore } from '../state/file-store.js';
import type { AppliedGroup, AppliedState } from '../state/types.js';
import { applyOutcomes } from './apply-outcome.js';
import type { JournalEntry, JournalStore } from './journal.js';
import { writesMayBeThere } from './promote-step.js';
import { type EngineParts, type TransitionOutcome, runTransition } from './run-transition.js';

/** Where a human put a group in emergency back: its state before the transition, or the transition's target. */
export type RecoverTo = 'previous' | 'target';

/** The group's emergency as the state and the journal hold it. Throws when it is not in emergency or the journal is missing. */
async function emergencyOf(
  store: StateStore,
  journal: JournalStore,
  group: string,
): Promise<{ applied: AppliedState; current: AppliedGroup; entry: JournalEntry }> {
  const applied = await store.loadApplied();
  const current = applied?.groups[group];
  if (!applied || !current?.emergency)
    throw new ConfigurationError(
      'NotInEmergency',
      `group ${group} is not in emergency; ringmaster status shows each group's state`,
    );
  const entry = await journal.load(current.emergency.transition);
  if (!entry)
    throw new NotFoundError(
      'JournalNotFound',
      `journal of ${current.emergency.transition} is missing; the group cannot be recovered safely`,
    );
  return { applied, current, entry };
}

/**
 * Records that a human resolved `group`'s emergency: with `previous` the group
 * keeps the state it had and the failed commit is held for it; with `target`
 * the transition's target becomes its applied state. The human makes the world
 * match first; this only tells the controller. Returns the group's applied
 * state and the transition's journal as recorded now. Throws when the group
 * is not in emergency or its journal is missing.
 */
export async function recoverGroup(
  store: StateStore,
  journal: JournalStore,
  group: string,
  to: RecoverTo,
  now: Date,
): Promise<{ readonly group: AppliedGroup; readonly entry: JournalEntry }> {
  const { applied, current, entry } = await emergencyOf(store, journal, group);
  const at = now.toISOString();
  const { emergency: _resolved, ...rest } = current;
  let next: AppliedGroup;
  if (to === 'target') {
    if (!entry.to)
      throw new ConfigurationError(
        'NothingToTarget',
        `${entry.id} removed the group; recover it --to previous`,
      );
    next = { name: group, commit: entry.commit, snapshot: entry.to, appliedAt: at };
  } else {
    const held = {
      commit: entry.commit,
      snapshotHash: entry.to ? snapshotHash(entry.to) : 'removal',
      reason: `${entry.reason ?? 'emergency'} (recovered to previous)`,
      since: at,
    };
    next = { ...rest, held };
  }
  const recovered: JournalEntry = { ...entry, recovery: { to, at } };
  await journal.save(recovered);
  await store.saveApplied({ ...applied, groups: { ...applied.groups, [group]: next } });
  return { group: next, entry: recovered };
}

/** How a cut-back ended, and what it left for a human. */
export interface CutBack {
  readonly outcome: TransitionOutcome;
  /** The group's applied state after it. */
  readonly group: AppliedGroup;
  /** The tenants cut back, the group they are back in, and the database kept for a human to delete. */
  readonly tenants: readonly string[];
  readonly to: string;
  readonly kept: string;
  /** Whether the release's cutback Job copied what the tenants wrote since promotion back. */
  readonly copiedBack: boolean;
}

/**
 * Cuts back a tenant move that failed past promotion: the transition in
 * emergency is reopened as rolling back, marked `cut-back` in its journal
 * (so a controller that resumes it after a crash undoes past the point of no
 * return too), and its compensations run here: the hosts go back to the old
 * group, the release's cutback Job copies back what the tenants wrote on the
 * new database, the new group's routing and stack go; the promoted database
 * is kept. The group ends held for the commit, as after any failed
 * transition, or in emergency again when an undo fails. The group stays in
 * emergency in the applied state until the end, so a controller running
 * meanwhile leaves it alone.
 *
 * Throws ConfigurationError, changing nothing, when the emergency is not a
 * move past promotion, or when the tenants may have written on the new
 * database and the release declares no cutback Job.
 */
export async function cutBackMove(
  store: StateStore,
  engine: EngineParts,
  group: string,
  now: Date,
): Promise<CutBack> {
  const { applied, entry } = await emergencyOf(store, engine.journal, group);
  const t = entry.target;
  const move = t?.planned.moveIn;
  const promote = entry.steps.find((s) => s.name === 'promote');
  if (!t || !move || move.data === 'same' || promote?.data?.promoting === undefined)
    throw new ConfigurationError(
      'NotACutBack',
      `the emergency of ${group} (${entry.id}) is not a tenant move that failed past promotion, so there is nothing to cut back; make the world match one side, then run ringmaster recover ${group} --to previous or --to target`,
    );
  const copiedBack = writesMayBeThere(t, promote.data);
  const from = move.source.resources.database.instance;
  if (copiedBack && !t.tenantJobs?.cutback)
    throw new ConfigurationError(
      'NoCutbackJob',
      `tenant ${move.tenants.join(', ')} may have written on ${t.database.instance} since promotion, and release ${t.planned.to!.release} declares no tenantJobs.cutback to copy that back to ${from}; cut the tenants back by hand (route their hosts to ${move.from}, copy their data back), then run ringmaster recover ${group} --to previous`,
    );
  if (entry.status === 'emergency') {
    const failed = entry.steps.find((s) => s.status === 'failed');
    const after = failed ? `${failed.name} failed: ${failed.error ?? 'no reason recorded'}` : 'an emergency';
    await engine.journal.save({
      ...entry,
      status: 'rolling-back',
      reason: `asked by ringmaster recover --to cut-back after ${after}`,
      endedAt: undefined,
      recovery: { to: 'cut-back', at: now.toISOString() },
      // A human asking (again) grants each undo a fresh budget: one spent by crashes or a failed cut-back is not held against it.
      steps: entry.steps.map(({ undoAttempts: _spent, undoError: _last, ...s }) => s),
    });
  }
  const outcome = await runTransition(t, {
    ...engine,
    constellation: applied.constellation,
    // Undoing asks nobody.
    isApproved: async () => false,
  });
  const groups = { ...applied.groups };
  applyOutcomes(groups, [outcome.entry], engine.now());
  await store.saveApplied({ ...applied, groups }, [group]);
  return {
    outcome,
    group: groups[group]!,
    tenants: move.tenants,
    to: move.from,
    kept: t.database.instance,
    copiedBack,
  };
}
