/**
 * The one summariser, on the embedded default: what a group the file
 * suspends shows, so that the person reading the status knows why nothing
 * moves there.
 */
import { summarizeState } from '../../controller/loop/summary.js';
import { EMPTY_RECORDS } from '../../controller/state/records.js';
import { emptyAppliedState } from '../../controller/state/types.js';
import { loadFixture } from '../helpers/constellation.js';

describe('the summary of the embedded default', () => {
  it('says why a suspended group does not move, and only for it', async () => {
    const desired = await loadFixture('.');
    const { status } = summarizeState({
      desired,
      commit: 'a'.repeat(40),
      applied: emptyAppliedState(desired.name),
      records: EMPTY_RECORDS,
      open: [],
      now: new Date('2026-12-07T12:00:00Z'),
    });
    const suspended = status.groups.filter((g) => g.state === 'suspended');
    expect(suspended.map((g) => [g.name, g.reason])).toEqual([
      ['smb-stable-2', 'suspended: true in its group file; the controller leaves it alone until that goes'],
    ]);
    expect(status.groups.filter((g) => g.reason?.startsWith('suspended'))).toHaveLength(1);
  });
});
