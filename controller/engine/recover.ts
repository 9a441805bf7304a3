import { ConfigurationError, NotFoundError } from '../errors.js';
import { snapshotHash } from '../plan/snapshot.js';
import type { StateStore } from '../state/file-store.js';
import type { AppliedGroup } from '../state/types.js';
import type { JournalStore } from './journal.js';

/** Where a human put a group in emergency back: its state before the transition, or the transition's target. */
export type RecoverTo = 'previous' | 'target';

/**
 * Records that a human resolved `group`'s emergency: with `previous` the group
 * keeps the state it had and the failed commit is held for it; with `target`
 * the transition's target becomes its applied state. The human makes the world
 * match first; this only tells the controller. Throws when the group is not in
 * emergency or its journal is missing.
 */
export async function recoverGroup(
  store: StateStore,
  journal: JournalStore,
  group: string,
  to: RecoverTo,
  now: Date,
): Promise<AppliedGroup> {
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
  await journal.save({ ...entry, recovery: { to, at } });
  await store.saveApplied({ ...applied, groups: { ...applied.groups, [group]: next } });
  return next;
}
