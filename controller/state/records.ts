/**
 * The controller's rollout records: when each release became healthy in each
 * ring. They are the evidence for bake times.
 */

/** One release's life in one ring. */
export interface RingRecord {
  readonly ring: string;
  readonly release: string;
  readonly commit: string;
  readonly startedAt: string;
  /** When every active group of the ring ran the release successfully. */
  readonly healthyAt?: string;
}

export interface RolloutRecords {
  readonly version: 1;
  /** Oldest first. */
  readonly rings: readonly RingRecord[];
}

export const EMPTY_RECORDS: RolloutRecords = { version: 1, rings: [] };

/** The newest record of `release` in `ring`. */
export function findRecord(records: RolloutRecords, ring: string, release: string): RingRecord | undefined {
  return [...records.rings].reverse().find((r) => r.ring === ring && r.release === release);
}
