import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConstellation } from '../../controller/model/load.js';
import { DEFAULT_PARSE_LIMITS } from '../../controller/model/parse.js';
import type { Constellation } from '../../controller/model/types.js';
import { snapshotHash, snapshotOf } from '../../controller/plan/snapshot.js';
import { planTransitions } from '../../controller/plan/transitions.js';
import { previewRun } from '../../controller/plan/admission.js';
import { EMPTY_RECORDS } from '../../controller/state/records.js';
import { createSchemaValidator } from '../../controller/schema/validator.js';
import { DirectorySource } from '../../controller/source/dir-source.js';
import {
  type AppliedGroup,
  type AppliedState,
  type HeldCommit,
  emptyAppliedState,
} from '../../controller/state/types.js';
import {
  type FixtureRepo,
  createFixtureRepo,
  moveBetaToItsOwnGroup,
  releaseYaml,
} from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

async function load(dir: string): Promise<Constellation> {
  const result = await loadConstellation(new DirectorySource(dir), {
    validator: createSchemaValidator('schemas'),
    limits: DEFAULT_PARSE_LIMITS,
  });
  if (!result.constellation)
    throw new Error(`fixture does not validate: ${JSON.stringify(result.diagnostics)}`);
  return result.constellation;
}

/** The applied state after `c` was applied completely at commit OLD. */
function appliedFrom(c: Constellation, tweak: (g: AppliedGroup) => AppliedGroup = (g) => g): AppliedState {
  const groups = Object.fromEntries(
    [...c.groups.values()].map((g) => [
      g.name,
      tweak({ name: g.name, commit: OLD, snapshot: snapshotOf(c, g), appliedAt: '2026-11-01T00:00:00Z' }),
    ]),
  );
  return { version: 1, constellation: c.name, groups };
}

/** `c` with the Retry files `ids` added, as loading groups/retries/ gives them. */
function withRetries(c: Constellation, ...ids: string[]): Constellation {
  return { ...c, retries: new Set(ids) };
}

describe('planTransitions', () => {
  let repo: FixtureRepo;
  let before: Constellation;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    before = await load(repo.dir);
  });
  afterEach(async () => {
    await removeDir(repo.dir);
  });

  it('creates every group of a constellation nothing was applied to, test-tenant groups first in their ring', async () => {
    const plan = planTransitions(before, NEW, emptyAppliedState('test'));
    expect(plan.transitions.map((t) => [t.id, t.changes.join('+')])).toEqual([
      [`internal@${NEW.slice(0, 12)}`, 'create'],
      [`shared-1@${NEW.slice(0, 12)}`, 'create'],
      [`globex@${NEW.slice(0, 12)}`, 'create'],
    ]);
    expect(plan.transitions[0]!.details).toEqual(['new group in ring canary on 2026.11.1 with 2 tenants']);
  });

  it('plans nothing when the applied state is what the commit asks', () => {
    const plan = planTransitions(before, NEW, appliedFrom(before));
    expect(plan).toEqual({ commit: NEW, transitions: [], blocked: [], upToDate: 3, moves: [] });
  });

  it('plans a release change for every group of a promoted ring, and only those', async () => {
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const plan = planTransitions(await load(repo.dir), NEW, appliedFrom(before));
    expect(plan.upToDate).toBe(2);
    expect(plan.transitions).toEqual([
      expect.objectContaining({
        group: 'shared-1',
        ring: 'early',
        changes: ['release'],
        direction: 'upgrade',
        details: ['release 2026.11.0 → 2026.11.1 (upgrade, data layout 410 → 411)'],
      }),
    ]);
  });

  it('tells a rollback, a new service and tenant changes apart', async () => {
    await repo.write(
      'groups/releases/2026.10.3.yaml',
      releaseYaml('2026.10.3', 400).replace(
        'services:\n',
        'services:\n  reports: { image: "registry.example.com/app/reports:2026.10.3" }\n',
      ),
    );
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.10.3"');
    await repo.edit(
      'groups/globex.yaml',
      /\n$/,
      '\n  - { id: globex-eu, host: globex-eu.example.com, language: de-DE, utcOffset: "+01:00" }\n',
    );
    const plan = planTransitions(await load(repo.dir), NEW, appliedFrom(before));
    expect(plan.transitions).toEqual([
      expect.objectContaining({
        group: 'globex',
        changes: ['release', 'services', 'tenants'],
        direction: 'rollback',
        details: [
          'release 2026.10.4 → 2026.10.3 (rollback, data layout 400 → 400)',
          'services added: reports',
          'tenants added: globex-eu',
        ],
      }),
    ]);
  });

  it('holds a failed commit for its group until a newer commit changes the group again', async () => {
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const desired = await load(repo.dir);
    const failed = snapshotHash(snapshotOf(desired, desired.groups.get('shared-1')!));
    const held = appliedFrom(before, (g) =>
      g.name === 'shared-1'
        ? {
            ...g,
            held: {
              commit: NEW,
              snapshotHash: failed,
              reason: 'verify failed',
              since: '2026-11-22T01:00:00Z',
            },
          }
        : g,
    );
    const again = planTransitions(desired, 'c'.repeat(40), held);
    expect(again.transitions).toEqual([]);
    expect(again.blocked).toEqual([
      {
        group: 'shared-1',
        reason: 'held',
        message: `commit ${NEW.slice(0, 12)} failed here (verify failed); held until a newer commit changes the group, or a retry is merged (ringmaster retry shared-1)`,
      },
    ]);

    await repo.edit('groups/shared-1.yaml', 'language: fr-FR', 'language: fr-BE');
    const changed = planTransitions(await load(repo.dir), 'd'.repeat(40), held);
    expect(changed.transitions.map((t) => [t.group, t.changes.join('+')])).toEqual([
      ['shared-1', 'release+tenants'],
    ]);
  });

  it('leaves suspended and emergency groups alone, saying why', async () => {
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    await repo.edit('groups/globex.yaml', 'ring: stable', 'ring: stable\nsuspended: true');
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.11.0"');
    const applied = appliedFrom(before, (g) =>
      g.name === 'shared-1'
        ? {
            ...g,
            emergency: { transition: 'shared-1@x', reason: 'cutover failed', since: '2026-11-22T02:00:00Z' },
          }
        : g,
    );
    const plan = planTransitions(await load(repo.dir), NEW, applied);
    expect(plan.transitions).toEqual([]);
    expect(plan.blocked.map((b) => [b.group, b.reason])).toEqual([
      ['globex', 'suspended'],
      ['shared-1', 'emergency'],
    ]);
    expect(plan.blocked[1]!.message).toContain('run ringmaster recover shared-1');
  });

  describe('a tenant moving between groups', () => {
    it('is one move, run by the group the tenant joins; the group it leaves waits as it runs', async () => {
      await moveBetaToItsOwnGroup(repo);
      await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.11.0"');
      const desired = await load(repo.dir);
      const applied = appliedFrom(before);
      const plan = planTransitions(desired, NEW, applied);
      expect(plan.moves).toEqual([
        { tenant: 'beta', host: 'beta.example.com', from: 'shared-1', to: 'beta' },
      ]);
      // The promotion of stable goes on beside the move.
      expect(plan.transitions.map((t) => t.group)).toEqual(['beta', 'globex']);
      expect(plan.transitions[0]).toEqual(
        expect.objectContaining({
          changes: ['create', 'move'],
          details: [
            'new group in ring early on 2026.11.0 with 1 tenants',
            'tenant beta moves in from shared-1; the data follows: beta-db made as a replica of shared-1-db, then promoted',
          ],
          moveIn: {
            tenants: ['beta'],
            from: 'shared-1',
            source: applied.groups['shared-1']!.snapshot,
            data: 'replica',
          },
        }),
      );
      // Never a removal: shared-1 keeps beta (and its data) until the move is applied.
      expect(plan.blocked).toEqual([
        {
          group: 'shared-1',
          reason: 'move',
          message:
            "tenant beta moves to beta: this group keeps serving it until the move has taken the data along, then drops it (the data kept for the ring's keep, then removed)",
        },
      ]);
      const preview = previewRun(desired, NEW, applied, EMPTY_RECORDS, new Date('2026-12-07T12:00:00Z'));
      expect(preview.admitted.map((t) => t.group)).toEqual(['beta']);
      expect(preview.waiting).toContainEqual({ group: 'shared-1', reason: plan.blocked[0]!.message });
      // The move waits while shared-1 finishes a transition under way.
      const busy = previewRun(
        desired,
        NEW,
        applied,
        EMPTY_RECORDS,
        new Date('2026-12-07T12:00:00Z'),
        new Set(['shared-1']),
      );
      expect(busy.admitted).toEqual([]);
      expect(busy.waiting).toContainEqual({
        group: 'beta',
        reason: 'waits for shared-1 to finish its transition under way, then moves its tenants',
      });

      // Once the move is applied, shared-1 drops beta as any departing tenant.
      const moved = {
        ...applied,
        groups: {
          ...applied.groups,
          beta: {
            name: 'beta',
            commit: NEW,
            snapshot: snapshotOf(desired, desired.groups.get('beta')!),
            appliedAt: '2026-12-07T12:00:00Z',
          },
        },
      };
      const after = planTransitions(desired, NEW, moved);
      expect(after.moves).toEqual([]);
      expect(after.transitions).toContainEqual(
        expect.objectContaining({
          group: 'shared-1',
          changes: ['tenants'],
          details: ['tenants removed: beta'],
        }),
      );
    });

    it('waits, saying why, where the move cannot run as the commit asks', async () => {
      await moveBetaToItsOwnGroup(repo);
      await repo.edit('groups/shared-1.yaml', 'ring: early', 'ring: early\nsuspended: true');
      const suspended = planTransitions(await load(repo.dir), NEW, appliedFrom(before));
      expect(suspended.transitions).toEqual([]);
      expect(suspended.blocked).toEqual([
        {
          group: 'beta',
          reason: 'move',
          message:
            'tenant beta moves in from shared-1, which the controller leaves alone now (suspended): the move waits until shared-1 runs normally again',
        },
        expect.objectContaining({ group: 'shared-1', reason: 'suspended' }),
      ]);

      await repo.edit('groups/shared-1.yaml', 'ring: early\nsuspended: true', 'ring: early');
      await repo.edit(
        'groups/beta.yaml',
        /\n$/,
        '\n  - { id: delta, host: delta.example.com, language: en-GB, utcOffset: "+00:00" }\n',
      );
      const mixed = planTransitions(await load(repo.dir), NEW, appliedFrom(before));
      expect(mixed.transitions).toEqual([]);
      expect(mixed.blocked.map((b) => [b.group, b.message])).toEqual([
        [
          'beta',
          'tenant beta moves in from shared-1: the same change touches new tenants (delta) of beta; a move changes nothing else of the group it joins, so split the change',
        ],
        ['shared-1', expect.stringContaining('tenant beta moves to beta')],
      ]);
    });

    it('waits, as check says, for a copy Job where the group joined has its own database', async () => {
      await repo.edit(
        'groups/shared-1.yaml',
        '  - { id: beta, host: beta.example.com, language: fr-FR, utcOffset: "+01:00" }\n',
        '',
      );
      await repo.edit(
        'groups/internal.yaml',
        /\n$/,
        '\n  - { id: beta, host: beta.example.com, language: fr-FR, utcOffset: "+01:00" }\n',
      );
      const plan = planTransitions(await load(repo.dir), NEW, appliedFrom(before));
      expect(plan.transitions).toEqual([]);
      expect(plan.blocked.find((b) => b.group === 'internal')).toEqual({
        group: 'internal',
        reason: 'move',
        message:
          "tenant beta moves in from shared-1: internal has its own database already, so the data is copied by the release's tenantJobs.copy Job, and release 2026.11.1 declares none; add one to the release first",
      });
    });

    it('keeps the data where it is when both groups use the same database (a group renamed)', async () => {
      await repo.edit('policies/promotion.yaml', /\n$/, '\ndecommission: true\n');
      const text = await readFile(join(repo.dir, 'groups/globex.yaml'), 'utf8');
      await rm(join(repo.dir, 'groups/globex.yaml'));
      await repo.write('groups/globex-2.yaml', text.replace('name: globex\n', 'name: globex-2\n'));
      const plan = planTransitions(await load(repo.dir), NEW, appliedFrom(before));
      expect(plan.moves).toEqual([
        { tenant: 'globex', host: 'globex.example.com', from: 'globex', to: 'globex-2' },
      ]);
      expect(plan.transitions).toEqual([
        expect.objectContaining({
          group: 'globex-2',
          details: [
            'new group in ring stable on 2026.10.4 with 1 tenants',
            'tenant globex moves in from globex; the data follows: it stays on globex-db, which both groups use',
          ],
          moveIn: expect.objectContaining({ data: 'same' }),
        }),
      ]);
      // The old group is retired only once the move is applied.
      expect(plan.blocked.map((b) => [b.group, b.reason])).toEqual([['globex', 'move']]);
    });

    it('leaves a bare removal of a tenant a removal, which needs the policy to allow decommissioning', async () => {
      await repo.edit(
        'groups/shared-1.yaml',
        '  - { id: beta, host: beta.example.com, language: fr-FR, utcOffset: "+01:00" }\n',
        '',
      );
      const forbidden = planTransitions(await load(repo.dir), NEW, appliedFrom(before));
      expect(forbidden.moves).toEqual([]);
      expect(forbidden.transitions).toEqual([]);
      expect(forbidden.blocked).toEqual([
        {
          group: 'shared-1',
          reason: 'decommission-forbidden',
          message:
            "removes tenant beta from shared-1, whose data would be deleted after the ring's keep, and the policy does not allow decommissioning (decommission: false); move it to another group instead, or set decommission: true",
        },
      ]);

      await repo.edit('policies/promotion.yaml', /\n$/, '\ndecommission: true\n');
      const plan = planTransitions(await load(repo.dir), NEW, appliedFrom(before));
      expect(plan.moves).toEqual([]);
      expect(plan.blocked).toEqual([]);
      expect(plan.transitions).toEqual([
        expect.objectContaining({
          group: 'shared-1',
          changes: ['tenants'],
          details: ['tenants removed: beta'],
        }),
      ]);
    });
  });

  it('removes a group only where the policy allows decommissioning', async () => {
    const applied = appliedFrom(before);
    const gone = {
      ...applied,
      groups: { ...applied.groups, legacy: { ...applied.groups['globex']!, name: 'legacy' } },
    };
    const forbidden = planTransitions(before, NEW, gone);
    expect(forbidden.blocked).toEqual([
      expect.objectContaining({ group: 'legacy', reason: 'decommission-forbidden' }),
    ]);

    await repo.edit('policies/promotion.yaml', /\n$/, '\ndecommission: true\n');
    const allowed = planTransitions(await load(repo.dir), NEW, gone);
    expect(allowed.transitions).toEqual([
      expect.objectContaining({ group: 'legacy', changes: ['remove'], ring: 'stable' }),
    ]);
  });

  describe('with Retry files', () => {
    const RETRY = 'e'.repeat(40);
    const AGAIN = 'f'.repeat(40);
    let desired: Constellation;
    /** shared-1 failed to move to 2026.11.1 at NEW and is held for it; `held` tweaks the hold. */
    const heldAt = (held: Partial<HeldCommit> = {}) =>
      appliedFrom(before, (g) =>
        g.name === 'shared-1'
          ? {
              ...g,
              held: {
                commit: NEW,
                snapshotHash: snapshotHash(snapshotOf(desired, desired.groups.get('shared-1')!)),
                reason: 'verify failed',
                since: '2026-11-22T01:00:00Z',
                ...held,
              },
            }
          : g,
      );
    beforeEach(async () => {
      await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
      desired = await load(repo.dir);
    });

    it('plans a held group again, at the commit followed, when a Retry names its hold', async () => {
      await mkdir(join(repo.dir, 'groups', 'retries'));
      await repo.write(
        `groups/retries/shared-1@${NEW.slice(0, 12)}.yaml`,
        `apiVersion: ringmaster/v1\nkind: Retry\nretry: shared-1@${NEW.slice(0, 12)}\n`,
      );
      const plan = planTransitions(await load(repo.dir), RETRY, heldAt());
      expect(plan.blocked).toEqual([]);
      expect(plan.transitions).toEqual([
        expect.objectContaining({
          id: `shared-1@${RETRY.slice(0, 12)}`,
          group: 'shared-1',
          commit: RETRY,
          changes: ['release'],
          retryOf: `shared-1@${NEW.slice(0, 12)}`,
        }),
      ]);
    });

    it('holds the group again after the retry failed: the same Retry file does not start another', () => {
      // What applyOutcomes records when the retry, run at RETRY, rolls back.
      const failedAgain = heldAt({ commit: RETRY, retryOf: `shared-1@${NEW.slice(0, 12)}` });
      const plan = planTransitions(withRetries(desired, `shared-1@${NEW.slice(0, 12)}`), AGAIN, failedAgain);
      expect(plan.transitions).toEqual([]);
      expect(plan.blocked).toEqual([
        {
          group: 'shared-1',
          reason: 'held',
          message: `commit ${RETRY.slice(0, 12)} (a retry of shared-1@${NEW.slice(0, 12)}) failed here (verify failed); held until a newer commit changes the group, or a retry is merged (ringmaster retry shared-1)`,
        },
      ]);
      // A new Retry naming the new hold starts one more.
      const next = planTransitions(
        withRetries(desired, `shared-1@${NEW.slice(0, 12)}`, `shared-1@${RETRY.slice(0, 12)}`),
        AGAIN,
        failedAgain,
      );
      expect(next.transitions.map((t) => [t.id, t.retryOf])).toEqual([
        [`shared-1@${AGAIN.slice(0, 12)}`, `shared-1@${RETRY.slice(0, 12)}`],
      ]);
    });

    it.each([
      ['another commit of the held group', `shared-1@${'9'.repeat(12)}`],
      ['a group that is not held', `globex@${NEW.slice(0, 12)}`],
      ['a group that does not exist', `retired@${NEW.slice(0, 12)}`],
    ])('changes nothing with a Retry naming %s', (_name, id) => {
      const applied = heldAt();
      expect(planTransitions(withRetries(desired, id), RETRY, applied)).toEqual(
        planTransitions(desired, RETRY, applied),
      );
    });

    it('does not run a retry at the held commit itself, whose failed journal has that id', () => {
      const plan = planTransitions(withRetries(desired, `shared-1@${NEW.slice(0, 12)}`), NEW, heldAt());
      expect(plan.transitions).toEqual([]);
      expect(plan.blocked.map((b) => [b.group, b.reason])).toEqual([['shared-1', 'held']]);
    });

    it('leaves a held group in emergency or suspended alone, Retry or not', async () => {
      const retry = `shared-1@${NEW.slice(0, 12)}`;
      const emergency = heldAt();
      const inEmergency = {
        ...emergency,
        groups: {
          ...emergency.groups,
          'shared-1': {
            ...emergency.groups['shared-1']!,
            emergency: { transition: retry, reason: 'cutover failed', since: '2026-11-22T02:00:00Z' },
          },
        },
      };
      expect(
        planTransitions(withRetries(desired, retry), RETRY, inEmergency).blocked.map((b) => b.reason),
      ).toEqual(['emergency']);

      await repo.edit('groups/shared-1.yaml', 'ring: early', 'ring: early\nsuspended: true');
      const suspended = withRetries(await load(repo.dir), retry);
      expect(planTransitions(suspended, RETRY, heldAt()).blocked.map((b) => b.reason)).toEqual(['suspended']);
    });
  });
});
