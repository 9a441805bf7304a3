/**
 * The rollout records (bake evidence): a record per ring and release when it
 * starts, turning healthy once every active group runs it; a look that finds
 * nothing new returns the records it was given, so nothing is written.
 */
import { updateRecords } from '../../controller/engine/apply-outcome.js';
import { loadFixture } from '../helpers/constellation.js';
import { snapshotOf } from '../../controller/plan/snapshot.js';
import { EMPTY_RECORDS } from '../../controller/state/records.js';
import type { AppliedState } from '../../controller/state/types.js';

describe('updateRecords', () => {
  it('records each ring as it starts and turns healthy, and returns the same records when nothing is new', async () => {
    const desired = await loadFixture('test/fixtures/base');
    const commit = 'c'.repeat(40);
    const none: AppliedState = { version: 1, constellation: desired.name, groups: {} };
    const started = updateRecords(EMPTY_RECORDS, desired, none, commit, new Date('2026-11-22T01:00:00Z'));
    expect(started.rings.map((r) => `${r.ring} ${r.release} ${r.healthyAt ?? '-'}`)).toEqual([
      'canary 2026.11.1 -',
      'early 2026.11.0 -',
      'stable 2026.10.4 -',
    ]);
    expect(updateRecords(started, desired, none, commit, new Date('2026-11-22T02:00:00Z'))).toBe(started);

    const internal = desired.groups.get('internal')!;
    const canaryDone: AppliedState = {
      ...none,
      groups: {
        internal: { name: 'internal', commit, snapshot: snapshotOf(desired, internal), appliedAt: '' },
      },
    };
    const healthy = updateRecords(started, desired, canaryDone, commit, new Date('2026-11-22T03:00:00Z'));
    expect(healthy).not.toBe(started);
    expect(healthy.rings[0]).toMatchObject({ ring: 'canary', healthyAt: '2026-11-22T03:00:00.000Z' });
    expect(updateRecords(healthy, desired, canaryDone, commit, new Date('2026-11-22T04:00:00Z'))).toBe(
      healthy,
    );
  });
});
