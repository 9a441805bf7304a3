/**
 * What a transition's end means for the applied state and the rollout
 * records; the reconciler saves what they change.
 */
import type { Constellation } from '../model/types.js';
import { snapshotHash } from '../plan/snapshot.js';
import type { RolloutRecords } from '../state/records.js';
import type { AppliedGroup, AppliedState, Backup, HeldCommit } from '../state/types.js';
import type { JournalEntry } from './journal.js';

/**
 * Records what `entries` (in order) mean for the applied groups, in place: a
 * success makes its target the group's applied state; a rollback keeps the
 * previous state and holds the commit; an emergency marks the group for a
 * human. Other statuses change nothing. In place, because a reconcile applies
 * each wave to one working copy: copying 10,000 groups per wave of 50 would
 * cost more than the wave.
 */
export function applyOutcomes(
  groups: Record<string, AppliedGroup>,
  entries: readonly JournalEntry[],
  now: Date,
): void {
  for (const entry of entries) {
    const next = groupAfter(groups[entry.group], entry, now.toISOString());
    if (next === 'removed') delete groups[entry.group];
    else if (next) groups[entry.group] = next;
  }
}

/** The group's applied state after `entry`: 'removed', a new state, or undefined for no change. */
function groupAfter(
  current: AppliedGroup | undefined,
  entry: JournalEntry,
  at: string,
): AppliedGroup | 'removed' | undefined {
  // The snapshot taken before a migration outlives the transition: a migration is not undone by a rollback.
  const backup = backupOf(entry) ?? current?.backup;
  const withBackup = backup ? { backup } : {};
  // A group that never ran anything keeps no snapshot: held or in emergency, it runs nothing.
  const base = (): AppliedGroup => ({
    ...(current ?? { name: entry.group, commit: '', appliedAt: '' }),
    ...withBackup,
  });
  switch (entry.status) {
    case 'succeeded':
      return entry.to
        ? { name: entry.group, commit: entry.commit, snapshot: entry.to, appliedAt: at, ...withBackup }
        : 'removed';
    case 'rolled-back': {
      // Undone because a newer commit asks again for what the group runs: it stays as it was, holding nothing.
      if (entry.cancelled) return current && { ...current, ...withBackup };
      const retryOf = entry.target?.planned.retryOf;
      const held: HeldCommit = {
        commit: entry.commit,
        snapshotHash: entry.to ? snapshotHash(entry.to) : 'removal',
        reason: entry.reason ?? 'rolled back',
        since: at,
        // A failed retry holds the group for its own commit, which no earlier Retry names: no retry loop.
        ...(retryOf ? { retryOf } : {}),
      };
      // Only a cut-back a human asked for rolls back a group in emergency: it ends the emergency.
      const { emergency: _ended, ...rest } = base();
      return { ...rest, held };
    }
    case 'emergency':
      return {
        ...base(),
        emergency: { transition: entry.id, reason: entry.reason ?? 'emergency', since: at },
      };
    default:
      return undefined;
  }
}

/** The snapshot `entry` took before migrating, once it was available. */
function backupOf(entry: JournalEntry): Backup | undefined {
  const data = entry.steps.find((s) => s.name === 'prepare')?.data;
  if (typeof data?.snapshot !== 'string' || data.snapshotReady !== true) return undefined;
  return { snapshot: data.snapshot, schemaVersion: entry.to?.schemaVersion ?? 0, transition: entry.id };
}

/**
 * Records rollouts: a ring whose release no record mentions yet gets one when
 * it starts, and the record turns healthy once every active group of the ring
 * runs the release without a hold.
 */
export function updateRecords(
  records: RolloutRecords,
  desired: Constellation,
  applied: AppliedState,
  commit: string,
  now: Date,
): RolloutRecords {
  let rings = [...records.rings];
  let changed = false;
  for (const ring of desired.rings) {
    const index = rings.findLastIndex((r) => r.ring === ring.name);
    const current = index >= 0 ? rings[index] : undefined;
    const members = [...desired.groups.values()].filter((g) => g.ring === ring.name && !g.suspended);
    const healthy =
      members.length > 0 &&
      members.every(
        (g) =>
          applied.groups[g.name]?.snapshot?.release === ring.release && !applied.groups[g.name]?.emergency,
      );
    if (current?.release !== ring.release) {
      changed = true;
      rings = [
        ...rings,
        {
          ring: ring.name,
          release: ring.release,
          commit,
          startedAt: now.toISOString(),
          healthyAt: healthy ? now.toISOString() : undefined,
        },
      ];
    } else if (healthy && !current.healthyAt) {
      changed = true;
      rings[index] = { ...current, healthyAt: now.toISOString() };
    }
  }
  // Nothing new: the same object, so nothing is written.
  return changed ? { ...records, rings } : records;
}
