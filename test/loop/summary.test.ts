/**
 * The one summariser, on the embedded default: what a group the file
 * suspends shows, so that the person reading the status knows why nothing
 * moves there; and that a status built again (every second of a rollout)
 * shows every change while it builds again only the groups that changed.
 */
import type { JournalEntry } from '../../controller/engine/journal.js';
import { type StatusFacts, summarizeState } from '../../controller/loop/summary.js';
import type { Constellation } from '../../controller/model/types.js';
import { snapshotOf } from '../../controller/plan/snapshot.js';
import { EMPTY_RECORDS } from '../../controller/state/records.js';
import type { GroupStatusView } from '../../controller/state/status-view.js';
import { type AppliedGroup, emptyAppliedState } from '../../controller/state/types.js';
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

describe('a status built again', () => {
  const commit = 'b'.repeat(40);
  const now = new Date('2026-12-07T12:00:00Z');
  const applied = (desired: Constellation, name: string): AppliedGroup => ({
    name,
    commit,
    snapshot: snapshotOf(desired, desired.groups.get(name)!),
    appliedAt: '2026-12-07T11:00:00.000Z',
  });
  const entry = (desired: Constellation, group: string, step: 'prepare' | 'verify'): JournalEntry => ({
    id: `${group}@${commit.slice(0, 12)}`,
    group,
    ring: desired.groups.get(group)!.ring,
    commit,
    status: 'running',
    steps: [{ name: step, status: 'started', attempts: 1, startedAt: '2026-12-07T11:59:00.000Z' }],
    startedAt: '2026-12-07T11:59:00.000Z',
  });
  const views = (facts: StatusFacts) =>
    new Map(summarizeState(facts).status.groups.map((g): [string, GroupStatusView] => [g.name, g]));

  it('shows each group that changed as it is now, and keeps the view of every other', async () => {
    const desired = await loadFixture('.');
    const [first, second, third] = [...desired.groups.keys()];
    const groups: Record<string, AppliedGroup> = {};
    for (const name of desired.groups.keys()) groups[name] = applied(desired, name);
    delete groups[second!];
    delete groups[third!];
    const facts = (open: JournalEntry[]): StatusFacts => ({
      desired,
      commit,
      applied: { ...emptyAppliedState(desired.name), groups: { ...groups } },
      records: EMPTY_RECORDS,
      open,
      now,
    });
    const onSecond = entry(desired, second!, 'prepare');
    const before = views(facts([onSecond]));
    expect(before.get(second!)).toMatchObject({ state: 'progressing', step: 'prepare' });

    // Nothing changed: every view is the one built before.
    const again = views(facts([onSecond]));
    for (const [name, view] of again) expect(view).toBe(before.get(name));

    // The first group's transition starts, the second goes on to its next step, the third is created.
    groups[third!] = applied(desired, third!);
    const after = views(facts([entry(desired, first!, 'verify'), entry(desired, second!, 'verify')]));
    expect(after.get(first!)).toMatchObject({
      state: 'ready',
      transition: `${first}@${commit.slice(0, 12)}`,
    });
    expect(after.get(second!)).toMatchObject({ state: 'progressing', step: 'verify' });
    expect(after.get(third!)).toMatchObject({
      state: 'ready',
      appliedRelease: before.get(third!)!.desiredRelease,
    });
    expect(before.get(third!)!.state).not.toBe('ready');
    const changed = new Set([first, second, third]);
    for (const [name, view] of after) if (!changed.has(name)) expect(view).toBe(before.get(name));
  });
});
