/**
 * What the controller has applied, per group: the state the commit it last
 * applied asked for, and what holds the group back. Written by the engine,
 * read by the planner; nothing here lives only in memory.
 */
import type { Resources, Tenant } from '../model/types.js';

/** Everything about a group that a transition changes: what one commit asks of it. */
export interface GroupSnapshot {
  readonly ring: string;
  readonly release: string;
  readonly schemaVersion: number;
  /** The images of the release's services, by service name. */
  readonly services: Readonly<Record<string, string>>;
  readonly resources: Resources;
  readonly tenants: readonly Tenant[];
}

/** A commit the group failed to apply: not tried again until a newer commit changes the group. */
export interface HeldCommit {
  readonly commit: string;
  /** Hash of the snapshot that failed, so a commit asking for the same thing stays held. */
  readonly snapshotHash: string;
  readonly reason: string;
  readonly since: string;
  /**
   * When the transition that failed was a retry (asked for by a Retry file):
   * the held transition it tried again. The group is now held for `commit`.
   */
  readonly retryOf?: string;
}

/** A cutover that could not be undone cleanly: a human runs `ringmaster recover`. */
export interface Emergency {
  readonly transition: string;
  readonly reason: string;
  readonly since: string;
}

/** The applied state of one group. */
export interface AppliedGroup {
  readonly name: string;
  /** The commit whose desired state the group runs; empty when nothing was ever deployed. */
  readonly commit: string;
  /**
   * What the group runs. Absent when nothing was ever deployed: its first
   * transition failed (the group is then held or in emergency), so nothing of
   * it serves and it counts as failed, never as ready.
   */
  readonly snapshot?: GroupSnapshot;
  readonly appliedAt: string;
  readonly held?: HeldCommit;
  readonly emergency?: Emergency;
  /** The latest manual snapshot of the group's database, taken before a transition raised its data layout. */
  readonly backup?: Backup;
}

/** A manual database snapshot taken before a migration (see the prepare step). */
export interface Backup {
  readonly snapshot: string;
  /** The data layout the transition migrated to; the snapshot holds the one before. */
  readonly schemaVersion: number;
  readonly transition: string;
}

/** The applied state of a constellation. */
export interface AppliedState {
  readonly version: 1;
  readonly constellation: string;
  readonly groups: Readonly<Record<string, AppliedGroup>>;
}

/** Ring statuses written `pending` and not yet ended, commit -> rings (see engine/ring-statuses.ts). */
export interface OpenStatuses {
  readonly version: 1;
  readonly commits: Readonly<Record<string, readonly string[]>>;
}

/** No ring status open. */
export const NO_OPEN_STATUSES: OpenStatuses = { version: 1, commits: {} };

/** The state of a constellation nothing has been applied to yet. */
export function emptyAppliedState(constellation: string): AppliedState {
  return { version: 1, constellation, groups: {} };
}
