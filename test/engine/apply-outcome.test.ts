/** What the end of a retry (a transition a Retry file asked for) records in the applied state. */
import { applyOutcomes } from '../../controller/engine/apply-outcome.js';
import type { JournalEntry } from '../../controller/engine/journal.js';
import type { TransitionTarget } from '../../controller/engine/steps.js';
import { snapshotHash } from '../../controller/plan/snapshot.js';
import type { PlannedTransition } from '../../controller/plan/transitions.js';
import type { AppliedGroup, GroupSnapshot } from '../../controller/state/types.js';

const HELD = 'a'.repeat(40);
const RETRY = 'b'.repeat(40);
const NOW = new Date('2026-11-22T03:00:00Z');

const snapshot = (release: string): GroupSnapshot => ({
  ring: 'early',
  release,
  schemaVersion: 410,
  services: { api: `registry.example.com/app/api:${release}` },
  resources: {
    cluster: 'eu-1',
    namespace: 'shared-1',
    database: { instance: 'shared-1-db', engine: 'postgres' },
    secrets: [],
  },
  tenants: [],
});
const FROM = snapshot('2026.11.0');
const TO = snapshot('2026.11.1');

/** shared-1 runs FROM and is held for HELD, which asked for TO. */
const heldGroup = (): AppliedGroup => ({
  name: 'shared-1',
  commit: 'c'.repeat(40),
  snapshot: FROM,
  appliedAt: '2026-11-21T00:00:00Z',
  held: {
    commit: HELD,
    snapshotHash: snapshotHash(TO),
    reason: 'verify failed',
    since: '2026-11-22T01:00:00Z',
  },
});

/** The journal of the retry of shared-1@HELD, run at RETRY, ended with `status`. */
function retryEntry(status: JournalEntry['status'], retryOf?: string): JournalEntry {
  const planned: PlannedTransition = {
    id: `shared-1@${RETRY.slice(0, 12)}`,
    group: 'shared-1',
    ring: 'early',
    commit: RETRY,
    changes: ['release'],
    from: FROM,
    to: TO,
    details: [],
    testTenants: 0,
    ...(retryOf ? { retryOf } : {}),
  };
  return {
    id: planned.id,
    group: 'shared-1',
    ring: 'early',
    commit: RETRY,
    from: FROM,
    to: TO,
    status,
    steps: [],
    startedAt: '2026-11-22T02:00:00Z',
    reason: status === 'rolled-back' ? 'verify failed: still broken' : undefined,
    // Only `planned` matters here; the rest of the target is what the steps use.
    target: { planned } as TransitionTarget,
  };
}

describe('applyOutcomes of a retry', () => {
  it('holds the group for the retry commit, saying which hold it retried, when the retry fails', () => {
    const groups = { 'shared-1': heldGroup() };
    applyOutcomes(groups, [retryEntry('rolled-back', `shared-1@${HELD.slice(0, 12)}`)], NOW);
    expect(groups['shared-1']).toEqual({
      ...heldGroup(),
      held: {
        commit: RETRY,
        snapshotHash: snapshotHash(TO),
        reason: 'verify failed: still broken',
        since: NOW.toISOString(),
        retryOf: `shared-1@${HELD.slice(0, 12)}`,
      },
    });
  });

  it('records no retry for a transition that was not one', () => {
    const groups = { 'shared-1': heldGroup() };
    applyOutcomes(groups, [retryEntry('rolled-back')], NOW);
    expect(groups['shared-1']!.held).not.toHaveProperty('retryOf');
    expect(groups['shared-1']!.held!.commit).toBe(RETRY);
  });

  it('lifts the hold when the retry succeeds', () => {
    const groups = { 'shared-1': heldGroup() };
    applyOutcomes(groups, [retryEntry('succeeded', `shared-1@${HELD.slice(0, 12)}`)], NOW);
    expect(groups['shared-1']).toEqual({
      name: 'shared-1',
      commit: RETRY,
      snapshot: TO,
      appliedAt: NOW.toISOString(),
    });
  });
});
