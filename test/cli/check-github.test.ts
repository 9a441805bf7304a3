/**
 * `ringmaster check --github`: the bake rule judged on the controller's ring
 * statuses on the local GitHub server, found through a real git history, and
 * the verdict posted as the `ringmaster/policy` commit status.
 */
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo, releaseYaml } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';
import { type GitHubServer, startGitHubServer } from '../fakes/github-server.js';
import { octokitFor } from '../fakes/github-test-client.js';

const REPO = 'acme/rollout';
const TOKEN = 'test-token';
/** When the canary status turned success in every test below. */
const HEALTHY_AT = '2026-11-20T10:00:00Z';

describe('ringmaster check --github', () => {
  let repo: FixtureRepo;
  let server: GitHubServer;
  /** The fake's clock: it stamps each status's created_at. */
  let clock = Date.parse('2026-11-19T00:00:00Z');
  /** The merge commit that promoted 2026.11.2 into canary. */
  let promotedToCanary: string;
  /** main after that promotion: the pull request's base. */
  let base: string;

  beforeEach(async () => {
    repo = await createFixtureRepo();
    server = await startGitHubServer({ repos: [REPO], anyCommit: true, token: TOKEN, now: () => clock });
    await repo.edit('policies/promotion.yaml', 'canary: { bake: 0h', 'canary: { bake: 24h');
    await repo.write('groups/releases/2026.11.2.yaml', releaseYaml('2026.11.2', 411));
    await repo.commit('canary bakes for a day; describe 2026.11.2');
    // An earlier promotion of the same release, rolled back: only the most recent one counts.
    const earlier = await mergeToMain('canary', '2026.11.1', '2026.11.2', 1);
    await mergeToMain('canary', '2026.11.2', '2026.11.1', 2);
    await seedCanary(earlier, 'success', '2026-11-18T10:00:00Z');
    promotedToCanary = await mergeToMain('canary', '2026.11.1', '2026.11.2', 3);
    // A later change of rings.yaml that leaves canary alone must not be taken for the promotion.
    await repo.edit('groups/rings.yaml', 'rings:\n', '# rings, earliest first\nrings:\n');
    base = await repo.commit('comment the ring set');
    server.log.length = 0;
  });
  afterEach(async () => {
    await server.close();
    await removeDir(repo.dir);
  });

  /** Merges a branch that sets `ring` from `from` to `to` into main with --no-ff, like a pull request; returns the merge commit. */
  async function mergeToMain(ring: string, from: string, to: string, number: number): Promise<string> {
    await repo.git.checkoutLocalBranch(`pr-${number}`);
    await repo.edit(
      'groups/rings.yaml',
      `name: ${ring}\n    release: "${from}"`,
      `name: ${ring}\n    release: "${to}"`,
    );
    await repo.commit(`Set ${ring} to ${to}`);
    await repo.git.checkout('main');
    await repo.git.merge(['--no-ff', '-m', `Merge pull request #${number}`, `pr-${number}`]);
    return (await repo.git.revparse(['HEAD'])).trim();
  }

  /** Writes `ringmaster/canary` on `commit` at time `at`, as the controller would. */
  async function seedCanary(commit: string, state: 'pending' | 'success' | 'failure', at: string) {
    clock = Date.parse(at);
    await octokitFor(server, TOKEN).repos.createCommitStatus({
      owner: 'acme',
      repo: 'rollout',
      sha: commit,
      state,
      context: 'ringmaster/canary',
      description: `canary: ${state === 'success' ? 1 : 0}/1 groups on 2026.11.2`,
    });
  }

  /** A branch off `base` promoting 2026.11.2 to early; returns its head. */
  async function promoteToEarly(): Promise<string> {
    await repo.git.checkout(['-b', 'promote-early', base]);
    await repo.edit(
      'groups/rings.yaml',
      'name: early\n    release: "2026.11.0"',
      'name: early\n    release: "2026.11.2"',
    );
    return repo.commit('Promote 2026.11.2 to early');
  }

  const env = () => ({ GITHUB_TOKEN: TOKEN, GITHUB_API_URL: server.url });
  const check = (head: string, now: string, extra: string[], withEnv: Record<string, string> = env()) =>
    runRingmaster(['check', '--repo', repo.dir, '--base', base, '--head', head, '--now', now, ...extra], {
      env: withEnv,
    });
  const policyStatuses = (sha: string) =>
    server.state.statusesOf(REPO, sha).filter((s) => s.context === 'ringmaster/policy');

  describe('with the canary status pending, then success at 10:00', () => {
    beforeEach(async () => {
      await seedCanary(promotedToCanary, 'pending', '2026-11-20T09:00:00Z');
      await seedCanary(promotedToCanary, 'success', HEALTHY_AT);
      // A later success (one more group done) does not restart the bake.
      await seedCanary(promotedToCanary, 'success', '2026-11-20T12:00:00Z');
      server.log.length = 0;
    });

    it('passes the bake rule once the release has been healthy long enough, and shows the evidence', async () => {
      const head = await promoteToEarly();
      const run = await check(head, '2026-11-22T14:00:00Z', ['--github', REPO]);
      expect(run.code).toBe(0);
      const c1 = promotedToCanary.slice(0, 12);
      expect(run.out).toContain(
        `| ✅ | bake | early | 2026.11.2 healthy in canary since 2026-11-20T10:00Z, 52h of 24h (ringmaster/canary on ${c1}) |`,
      );
      expect(run.out).toContain('### Bake evidence');
      expect(run.out).toContain(
        `- 2026.11.2 in canary: healthy since 2026-11-20T10:00Z (\`ringmaster/canary\` on commit ${c1})`,
      );
      expect(run.out).toContain('**Verdict: allowed.**');
      expect(server.log.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([
        `/repos/${REPO}/commits/${promotedToCanary}/statuses`,
      ]);
      expect(server.log.filter((r) => r.method === 'POST')).toEqual([]);
    });

    it('fails the bake rule too early, saying how long it has baked and when it may go', async () => {
      const head = await promoteToEarly();
      const run = await check(head, '2026-11-20T15:00:00Z', ['--github', REPO, '--json']);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.out);
      expect(report.allowed).toBe(false);
      expect(report.verdicts).toContainEqual({
        rule: 'bake',
        status: 'fail',
        ring: 'early',
        message: `2026.11.2 healthy in canary for 5h of 24h; promote after 2026-11-21T10:00Z (ringmaster/canary on ${promotedToCanary.slice(0, 12)})`,
      });
      expect(report.bake).toEqual({
        source: `GitHub ${REPO}`,
        lookups: [
          {
            ring: 'canary',
            release: '2026.11.2',
            healthy: { since: HEALTHY_AT.replace('Z', '.000Z'), commit: promotedToCanary },
          },
        ],
      });
    });

    it('leaves the bake rule unverified without --github, saying how to check it', async () => {
      const head = await promoteToEarly();
      const run = await check(head, '2026-11-20T15:00:00Z', [], {});
      expect(run.code).toBe(0);
      expect(run.out).toContain(
        "| ⚠️ | bake | early | 2026.11.2 must have been healthy in canary for 24h; not checked here: the evidence is the controller's ringmaster/canary status on GitHub, read with --github OWNER/REPO; the controller holds the rollout until then |",
      );
      expect(run.out).not.toContain('### Bake evidence');
      expect(server.log).toEqual([]);
    });

    it.each([
      ['allowed', '2026-11-22T14:00:00Z', 0, 'success', 'allowed: promote 2026.11.2 to early · 4 rules pass'],
      [
        'forbidden',
        '2026-11-20T15:00:00Z',
        1,
        'failure',
        expect.stringMatching(
          /^2026\.11\.2 healthy in canary for 5h of 24h; promote after 2026-11-21T10:00Z/,
        ),
      ],
    ])(
      'posts exactly one ringmaster/policy status on --status-sha when %s',
      async (_case, now, code, state, description) => {
        const head = await promoteToEarly();
        const run = await check(head, now, ['--github', REPO, '--status-sha', head]);
        expect(run.code).toBe(code);
        const posted = policyStatuses(head);
        expect(posted).toHaveLength(1);
        expect(posted[0]).toMatchObject({ state, description });
        expect([...(posted[0]?.description ?? '')].length).toBeLessThanOrEqual(140);
        expect(run.err).toBe(`ringmaster/policy: ${state} posted on ${head.slice(0, 12)}`);
        // Nothing else is written anywhere.
        expect(server.log.filter((r) => r.method === 'POST')).toHaveLength(1);
      },
    );
  });

  it('leaves the bake rule unverified when the controller last reported a failure there', async () => {
    await seedCanary(promotedToCanary, 'success', HEALTHY_AT);
    await seedCanary(promotedToCanary, 'failure', '2026-11-20T11:00:00Z');
    const head = await promoteToEarly();
    const run = await check(head, '2026-11-22T14:00:00Z', ['--github', REPO]);
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      `| ⚠️ | bake | early | 2026.11.2 must have been healthy in canary for 24h; GitHub ${REPO} shows no ringmaster/canary success on the commit that promoted 2026.11.2 to canary; the controller holds the rollout until then |`,
    );
    expect(run.out).toContain(
      '- 2026.11.2 in canary: no evidence (no `ringmaster/canary` success on the commit that promoted it)',
    );
  });

  it('posts error on --status-sha when the head does not validate', async () => {
    await repo.git.checkout(['-b', 'broken', base]);
    await repo.edit('groups/rings.yaml', 'release: "2026.10.4"', 'release: "2026.11.2"');
    const head = await repo.commit('stable jumps ahead of early');
    const run = await check(head, '2026-11-22T14:00:00Z', ['--github', REPO, '--status-sha', head]);
    expect(run.code).toBe(1);
    const posted = policyStatuses(head);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.state).toBe('error');
    expect(posted[0]?.description).toMatch(
      /^head does not validate \(1 error\): groups\/rings\.yaml:\d+:\d+: ring "stable"/,
    );
    expect([...(posted[0]?.description ?? '')].length).toBeLessThanOrEqual(140);
  });

  it.each([
    [
      'GITHUB_TOKEN is missing',
      ['--github', REPO],
      {},
      `ringmaster: --github ${REPO} needs GITHUB_TOKEN in the environment: a token that can read commit statuses`,
    ],
    [
      '--status-sha comes without --github',
      ['--status-sha', 'a'.repeat(40)],
      { GITHUB_TOKEN: TOKEN },
      'ringmaster: --status-sha posts a commit status on GitHub and needs --github OWNER/REPO',
    ],
    [
      '--status-sha is not a full sha',
      ['--github', REPO, '--status-sha', 'abc123'],
      { GITHUB_TOKEN: TOKEN },
      'ringmaster: --status-sha must be a full commit sha (40 hex digits)',
    ],
  ])('exits 2 with a clear message when %s, touching nothing', async (_case, extra, withEnv, message) => {
    const head = await promoteToEarly();
    const run = await check(head, '2026-11-22T14:00:00Z', extra, withEnv);
    expect(run.code).toBe(2);
    expect(run.err.startsWith(message)).toBe(true);
    expect(run.out).toBe('');
    expect(server.log).toEqual([]);
  });
});
