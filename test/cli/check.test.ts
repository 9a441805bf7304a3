import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDir } from '../helpers/git.js';
import { runRingmaster } from '../helpers/cli.js';
import {
  type FixtureRepo,
  createFixtureRepo,
  moveBetaToItsOwnGroup,
  releaseYaml,
} from '../helpers/constellation.js';

const AUTUMN = new Date('2026-11-22T10:00:00Z');
const YEAR_END = new Date('2026-12-24T10:00:00Z');

describe('ringmaster check', () => {
  let repo: FixtureRepo;
  beforeEach(async () => {
    repo = await createFixtureRepo();
  });
  afterEach(async () => {
    await removeDir(repo.dir);
  });

  const check = (head: string, now = AUTUMN, extra: string[] = []) =>
    runRingmaster(['check', '--repo', repo.dir, '--base', repo.baseSha, '--head', head, ...extra], { now });

  it('explains a promotion by one ring and allows it', async () => {
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const head = await repo.commit('promote 2026.11.1 to early');
    const run = await check(head);
    expect(run.code).toBe(0);
    expect(run.out).toContain('| early | promotion | 2026.11.0 → 2026.11.1 | 410 → 411 | 1 | 2 |');
    expect(run.out).toContain('- **early**: shared-1');
    expect(run.out).toMatch(/✅ \| no-skip \| early \| 2026\.11\.1 already runs in canary/);
    expect(run.out).toContain('✅ | bake | early | ring canary has no bake time');
    expect(run.out).toContain('needs 1 approving review from @test/release');
    expect(run.out).toContain('**Verdict: allowed.**');
  });

  it('explains a retry of a held group, so its reviewers see what merging does', async () => {
    await mkdir(join(repo.dir, 'groups', 'retries'));
    const id = `shared-1@${repo.baseSha.slice(0, 12)}`;
    await repo.write(`groups/retries/${id}.yaml`, `apiVersion: ringmaster/v1\nkind: Retry\nretry: ${id}\n`);
    const head = await repo.commit('retry shared-1');
    const run = await check(head);
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      `### Retries\n\n- **${id}** (early): the held group is tried again, once, when this change is merged; if it fails again, it stays held until a newer commit changes it or another retry is merged\n`,
    );
    expect(run.out).not.toContain('No change to the desired state');
  });

  it('forbids a release that skips a ring, saying which', async () => {
    await repo.write('groups/releases/2026.11.2.yaml', releaseYaml('2026.11.2', 411));
    await repo.edit('groups/rings.yaml', 'release: "2026.11.1"', 'release: "2026.11.2"');
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.2"');
    const head = await repo.commit('new release straight to canary and early');
    const run = await check(head);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(
      /❌ \| no-skip \| early \| 2026\.11\.2 skips ring canary, which runs 2026\.11\.1; promote it to canary first/,
    );
    expect(run.out).toMatch(/✅ \| no-skip \| canary \| 2026\.11\.2 enters the first ring/);
    expect(run.out).toContain('**Verdict: forbidden**: 1 rule fails.');
  });

  it('refuses a head that puts a later ring ahead of an earlier one, at file:line:column', async () => {
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.11.1"');
    const head = await repo.commit('stable jumps ahead of early');
    const run = await check(head);
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'groups/rings.yaml:10:14: ring "stable" runs 2026.11.1, newer than the earlier ring "early" (2026.11.0); a release reaches a later ring only after the earlier ones [ring-order]',
    );
  });

  it('forbids a promotion inside a freeze but allows a rollback there', async () => {
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const promotion = await check(await repo.commit('promote in the freeze'), YEAR_END);
    expect(promotion.code).toBe(1);
    expect(promotion.out).toContain(
      'inside freeze year-end (2026-12-20 to 2027-01-04); promote on or after 2027-01-05',
    );

    await repo.git.reset(['--hard', repo.baseSha]);
    await repo.write('groups/releases/2026.10.3.yaml', releaseYaml('2026.10.3', 400));
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.10.3"');
    const rollback = await check(await repo.commit('roll stable back'), YEAR_END);
    expect(rollback.out).toMatch(/\| stable \| rollback \| 2026\.10\.4 → 2026\.10\.3 \|/);
    expect(rollback.out).toContain('freeze year-end is on, but rollbacks are allowed');
    expect(rollback.code).toBe(0);
  });

  it('allows a back-port straight to the late ring whose line the early rings left behind', async () => {
    await repo.write(
      'groups/releases/2026.10.5.yaml',
      releaseYaml('2026.10.5', 400, 'backportOf: "2026.11.1"'),
    );
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.10.5"');
    const run = await check(await repo.commit('back-port to stable'));
    expect(run.out).toContain('| stable | backport | 2026.10.4 → 2026.10.5 | 400 → 400 | 1 | 1 |');
    expect(run.out).toContain(
      'back-port on line 2026.10, which the earlier rings have left behind (early runs 2026.11)',
    );
    expect(run.out).toContain('each group waits for a manual approval before cutover');
    expect(run.code).toBe(0);
  });

  it('forbids a rollback that would take the data layout backwards', async () => {
    await repo.edit('groups/rings.yaml', 'release: "2026.11.1"', 'release: "2026.11.0"');
    const run = await check(await repo.commit('roll canary back'));
    expect(run.code).toBe(1);
    expect(run.out).toMatch(
      /❌ \| lineage \| canary \| 2026\.11\.0 needs data layout 410, older than the 411 ring canary already has/,
    );
  });

  it('forbids editing a release that a ring runs', async () => {
    await repo.edit('groups/releases/2026.11.0.yaml', 'api:2026.11.0', 'api:2026.11.0-hotfix');
    const run = await check(await repo.commit('patch a running release in place'));
    expect(run.code).toBe(1);
    expect(run.out).toContain('release 2026.11.0 changes while ring early runs it');
  });

  it('forbids removing a group unless the policy allows decommissioning', async () => {
    await rm(join(repo.dir, 'groups/shared-1.yaml'));
    const run = await check(await repo.commit('drop shared-1'));
    expect(run.code).toBe(1);
    expect(run.out).toContain('removes group shared-1, and the policy does not allow decommissioning');
  });

  it('lists tenant changes and moves, judging the data layout of a moved group', async () => {
    await repo.edit(
      'groups/shared-1.yaml',
      'ring: early',
      'ring: stable\nmaintenanceWindow: { cron: "0 3 * * SAT", duration: 2h, timezone: UTC }',
    );
    await repo.edit(
      'groups/internal.yaml',
      /\n$/,
      '\n  - { id: gamma, host: gamma.example.com, language: en-US, utcOffset: "+00:00" }\n',
    );
    const run = await check(await repo.commit('move shared-1 later, add a tenant'));
    expect(run.out).toContain('- **internal** (canary): tenants added: gamma');
    expect(run.out).toContain(
      '- **shared-1** (stable): moves from ring early to stable; maintenance window changes',
    );
    expect(run.out).toMatch(
      /❌ \| lineage \| shared-1 \| moving from early to stable would take data layout 410 back to 400/,
    );
    expect(run.code).toBe(1);
  });

  describe('a tenant moving to another group', () => {
    it('is shown as a move, never a removal and an addition, with what merging does step by step', async () => {
      await moveBetaToItsOwnGroup(repo);
      const run = await check(await repo.commit('beta gets a group of its own'));
      expect(run.out).toContain(
        '### Tenant moves\n\n- move tenant beta (beta.example.com) from shared-1 to beta\n',
      );
      expect(run.out).toContain(
        '- **beta** (early): new group in ring early with 1 tenants; tenant beta moves in from shared-1',
      );
      expect(run.out).toContain('- **shared-1** (early): tenant beta moves out to beta');
      expect(run.out).not.toContain('tenants removed');
      expect(run.out).toContain(
        "| ✅ | tenant-move | beta | move tenant beta (beta.example.com) from shared-1 to beta: 1. beta serves beta from shared-1-db; 2. the host is routed to beta, then taken off shared-1; 3. beta-db is made as a read replica of shared-1-db; 4. promoted at once (beta has no maintenance window): from then on a failure is an emergency, not a cut-back; 5. the data is kept on shared-1-db for 0h (the keep of early), then removed by the release's tenant removal Job. Before promotion any failure cuts back to shared-1 |",
      );
      expect(run.out).not.toContain('| lineage |');
      expect(run.code).toBe(0);
    });

    it('says how the replica is judged in sync and verified before promotion', async () => {
      await repo.edit(
        'policies/promotion.yaml',
        /\n$/,
        '\nmoves: { standby: true }\nhealth:\n  analysis:\n    - { name: replica-lag, query: "max(lag{db=\\"{{replica}}\\"})", max: 5, during: [replicate] }\n',
      );
      await repo.edit(
        'groups/releases/2026.11.0.yaml',
        'services:',
        'tenantJobs:\n  verify: { image: "registry.example.com/app/tools:1", command: [verify] }\nservices:',
      );
      const base = await repo.commit('replica lag judged; 2026.11.0 verifies moved data');
      await moveBetaToItsOwnGroup(repo);
      const head = await repo.commit('beta gets a group of its own');
      const run = await runRingmaster(['check', '--repo', repo.dir, '--base', base, '--head', head], {
        now: AUTUMN,
      });
      expect(run.out).toContain(
        "3. beta-db is made as a read replica of shared-1-db, in sync once RDS says so and replica-lag pass, then checked by the release's verify Job; 4. promoted at once (beta has no maintenance window), then given a standby in another zone (moves.standby): from then on",
      );
      expect(run.code).toBe(0);
    });

    it('is forbidden where the group it joins changes otherwise in the same change', async () => {
      await moveBetaToItsOwnGroup(repo);
      await repo.edit(
        'groups/beta.yaml',
        /\n$/,
        '\n  - { id: delta, host: delta.example.com, language: en-GB, utcOffset: "+00:00" }\n',
      );
      const run = await check(await repo.commit('beta moves, delta joins it'));
      expect(run.out).toContain(
        '| ❌ | tenant-move | beta | move tenant beta (beta.example.com) from shared-1 to beta: the same change touches new tenants (delta) of beta; a move changes nothing else of the group it joins, so split the change |',
      );
      expect(run.code).toBe(1);
    });

    it('is forbidden into a group with a database of its own when the release cannot copy the data', async () => {
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
      const run = await check(await repo.commit('beta to internal'));
      expect(run.out).toMatch(
        /❌ \| tenant-move \| internal \| move tenant beta \(beta\.example\.com\) from shared-1 to internal: internal has its own database already, so the data is copied by the release's tenantJobs\.copy Job, and release 2026\.11\.1 declares none; add one to the release first \|/,
      );
      expect(run.code).toBe(1);
    });

    it('judges the data layout the tenant would land on', async () => {
      await moveBetaToItsOwnGroup(
        repo,
        'stable',
        '\nmaintenanceWindow: { cron: "0 3 * * SAT", duration: 2h, timezone: UTC }',
      );
      const run = await check(await repo.commit('beta to a group of its own in stable'));
      expect(run.out).toMatch(
        /❌ \| lineage \| beta \| moving tenant beta from shared-1 to beta would take its data layout 410 back to 400/,
      );
    });

    it('keeps the ring rule of a test tenant: its production tenant may not move to an earlier ring', async () => {
      // globex-test stands ahead of globex (stable) from early, after a move of its own.
      await repo.edit('groups/internal.yaml', /\n {2}- \{ id: globex-test[^\n]*/, '');
      await repo.edit(
        'groups/shared-1.yaml',
        /\n$/,
        '\n  - { id: globex-test, host: globex-test.example.com, language: de-DE, utcOffset: "+01:00", testOf: globex }\n',
      );
      const base = await repo.commit('globex-test moves to shared-1');
      // Moving globex itself to canary (its group takes another tenant) would put its test tenant behind it.
      await repo.edit(
        'groups/globex.yaml',
        /\n {2}- \{ id: globex,[^\n]*/,
        '\n  - { id: initech, host: initech.example.com, language: en-US, utcOffset: "-05:00" }',
      );
      await repo.edit(
        'groups/internal.yaml',
        /\n$/,
        '\n  - { id: globex, host: globex.example.com, language: de-DE, utcOffset: "+01:00" }\n',
      );
      const head = await repo.commit('globex moves to internal');
      const run = await runRingmaster(['check', '--repo', repo.dir, '--base', base, '--head', head], {
        now: AUTUMN,
      });
      expect(run.out).toContain(
        'groups/shared-1.yaml:14:101: test tenant "globex-test" is in ring "early", later than its production tenant "globex" in ring "canary"; move it to a group in ring "canary" or earlier [test-tenant-order]',
      );
      expect(run.out).toContain('does not validate');
      expect(run.code).toBe(1);
    });

    it('leaves a bare removal of a tenant a removal, which needs decommissioning allowed', async () => {
      await repo.edit(
        'groups/shared-1.yaml',
        '  - { id: beta, host: beta.example.com, language: fr-FR, utcOffset: "+01:00" }\n',
        '',
      );
      const run = await check(await repo.commit('beta leaves'));
      expect(run.out).toContain('- **shared-1** (early): tenants removed: beta');
      expect(run.out).not.toContain('Tenant moves');
      expect(run.out).not.toContain('tenant-move');
      expect(run.out).toContain(
        "| ❌ | decommission | shared-1 | removes tenant beta from shared-1, whose data would be deleted after the ring's keep, and the policy does not allow decommissioning (decommission: false); move it to another group instead, or set decommission: true |",
      );
      expect(run.code).toBe(1);

      await repo.edit('policies/promotion.yaml', /\n$/, '\ndecommission: true\n');
      const allowed = await check(await repo.commit('beta leaves, and tenants may be decommissioned'));
      expect(allowed.out).not.toContain('| decommission |');
      expect(allowed.code).toBe(0);
    });
  });

  it('prints the same plan as JSON, with bake time marked unverified', async () => {
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.11.0"');
    const run = await check(await repo.commit('promote 2026.11.0 to stable'), AUTUMN, ['--json']);
    const report = JSON.parse(run.out);
    expect(report.allowed).toBe(true);
    expect(report.plan.rings).toEqual([
      expect.objectContaining({
        ring: 'stable',
        from: '2026.10.4',
        to: '2026.11.0',
        kind: 'promotion',
        groups: ['globex'],
        tenants: 1,
      }),
    ]);
    expect(report.verdicts).toContainEqual({
      rule: 'bake',
      status: 'unverified',
      ring: 'stable',
      message:
        "2026.11.0 must have been healthy in early for 24h; not checked here: the evidence is the controller's ringmaster/early status on GitHub, read with --github OWNER/REPO; the controller holds the rollout until then",
    });
  });

  it('says plainly when nothing changes', async () => {
    const run = await check(repo.baseSha);
    expect(run.code).toBe(0);
    expect(run.out).toContain('No change to the desired state: nothing rolls out.');
  });

  it('exits 2 with a clear message for a revision that does not exist', async () => {
    const run = await check('no-such-branch');
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'ringmaster: Revision "no-such-branch" is not a commit of this repository; check the name, or fetch it first.',
    );
  });
});
