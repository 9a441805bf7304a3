import type { Constellation, Group, PromotionPolicy } from '../../controller/model/types.js';
import { describeChanges } from '../../controller/plan/commit-changes.js';

function group(name: string, ring: string, namespace = name): Group {
  return {
    name,
    ring,
    suspended: false,
    resources: {
      cluster: 'eu-1',
      namespace,
      database: { instance: `${name}-db`, engine: 'postgres' },
      secrets: [],
    },
    tenants: [],
    file: `groups/${ring}/${name}.yaml`,
  };
}

function constellation(
  rings: Record<string, string>,
  groups: Group[],
  extra: { releases?: string[]; bake?: string; approvals?: string[] } = {},
): Constellation {
  return {
    name: 'acme',
    rings: Object.entries(rings).map(([name, release], index) => ({ name, release, index })),
    releases: new Map((extra.releases ?? []).map((v) => [v, {} as never])),
    groups: new Map(groups.map((g) => [g.name, g])),
    policy: {
      order: Object.keys(rings),
      bake: extra.bake ?? '1h',
      file: 'policies/p.yaml',
    } as unknown as PromotionPolicy,
    ringSetFile: 'groups/rings.yaml',
    approvals: new Set(extra.approvals ?? []),
    retries: new Set(),
    files: new Map(),
  };
}

describe('describeChanges', () => {
  const before = constellation({ canary: '1.0', early: '1.0' }, [
    group('a', 'canary'),
    group('b', 'early'),
    group('c', 'early'),
  ]);

  it('says what the first commit holds when there is nothing to compare with', () => {
    expect(describeChanges(undefined, before)).toEqual({
      changes: ['followed at start: 2 rings, 3 groups (no commit before it to compare with)'],
      rings: ['canary', 'early'],
    });
  });

  it('names rings moved, groups added, removed, moved and changed, releases, policy and approvals', () => {
    const after = constellation(
      { canary: '1.1', early: '1.0', late: '0.9' },
      [group('a', 'canary'), group('b', 'canary'), group('c', 'early', 'c-2'), group('d', 'late')],
      { releases: ['1.1'], bake: '2h', approvals: ['a@123456789012'] },
    );
    expect(describeChanges(before, after)).toEqual({
      changes: [
        'ring canary: 1.0 → 1.1',
        'ring late added on 0.9',
        'group added: d (late)',
        'group moved: b early → canary',
        'group changed: c',
        'release 1.1 added',
        'promotion policy changed',
        'approved: a@123456789012',
      ],
      rings: ['canary', 'late'],
    });
  });

  it('counts many groups instead of naming them all, and says when nothing changed', () => {
    const many = Array.from({ length: 8 }, (_, i) => group(`g${i}`, 'early'));
    const after = constellation({ canary: '1.0', early: '1.0' }, [...before.groups.values(), ...many]);
    expect(describeChanges(before, after).changes).toEqual([
      '8 groups added: g0 (early), g1 (early), g2 (early), g3 (early), g4 (early) and 3 more',
    ]);
    expect(describeChanges(before, before).changes).toEqual(['nothing the controller acts on']);
  });
});
