/**
 * The kinds of wait the `ringmaster_waiting_groups` gauge counts, judged on
 * the reasons the policy gives today (a change of wording there fails here).
 */
import type { Constellation } from '../../controller/model/types.js';
import { mayChangeGroup, mayStartRing } from '../../controller/policy/runtime.js';
import { EMPTY_RECORDS, type RolloutRecords } from '../../controller/state/records.js';
import { waitKind } from '../../controller/state/wait-kinds.js';
import { type FixtureRepo, createFixtureRepo, loadFixture } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

describe('waitKind', () => {
  let repo: FixtureRepo;
  let c: Constellation;
  beforeAll(async () => {
    repo = await createFixtureRepo();
    c = await loadFixture(repo.dir);
  });
  afterAll(async () => {
    await removeDir(repo.dir);
  });
  const ring = (name: string) => c.rings.find((r) => r.name === name)!;
  const reason = (v: { go: boolean; reason?: string }) => {
    expect(v.go).toBe(false);
    return v.reason;
  };

  it("tells each of the policy's waits apart", () => {
    const monday = new Date('2026-11-23T10:00:00Z');
    // Early's release has no record of health in canary yet.
    expect(waitKind(reason(mayStartRing(c, ring('early'), EMPTY_RECORDS, monday, false)))).toBe(
      'healthy-before',
    );
    // Stable's release healthy in early an hour ago, early bakes 24 h.
    const records: RolloutRecords = {
      version: 1,
      rings: [
        {
          ring: 'early',
          release: '2026.10.4',
          commit: 'a'.repeat(40),
          startedAt: '2026-11-23T08:00:00.000Z',
          healthyAt: '2026-11-23T09:00:00.000Z',
        },
      ],
    };
    expect(waitKind(reason(mayStartRing(c, ring('stable'), records, monday, false)))).toBe('bake');
    expect(
      waitKind(
        reason(mayStartRing(c, ring('canary'), EMPTY_RECORDS, new Date('2026-12-25T00:00:00Z'), false)),
      ),
    ).toBe('freeze');
    expect(waitKind(reason(mayChangeGroup(c, c.groups.get('globex')!, monday)))).toBe('window');
  });

  it("tells the engine's and the planner's waits apart, and says other for what it does not know", () => {
    expect(waitKind('waiting for approval before cutover: ringmaster approve globex@0123456789ab')).toBe(
      'approval',
    );
    expect(waitKind('keeping the blue stack until 2026-11-23T10:30:00.000Z')).toBe('keep');
    expect(waitKind('halted: 2 groups failed, budget 1')).toBe('halted');
    expect(waitKind('stopped during verify; resumes when the controller starts again')).toBe('stopped');
    expect(waitKind(undefined)).toBe('other');
    expect(waitKind('something new')).toBe('other');
  });
});
