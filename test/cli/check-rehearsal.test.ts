/**
 * `ringmaster check` on a tenant move where the policy asks for a rehearsal:
 * the rule judged on the sandbox controller's move statuses on the local
 * GitHub server, found through the sandbox branch of a real git history.
 */
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo, moveBetaToItsOwnGroup } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';
import { type GitHubServer, startGitHubServer } from '../fakes/github-server.js';
import { octokitFor } from '../fakes/github-test-client.js';

const REPO = 'acme/rollout';
const TOKEN = 'test-token';
const CONTEXT = 'ringmaster/move/beta/shared-1/beta';

describe('ringmaster check: the rehearsal rule of a tenant move', () => {
  let repo: FixtureRepo;
  let server: GitHubServer;
  let clock = Date.parse('2026-11-19T10:00:00Z');
  /** main with the policy asking for rehearsals: the base of the move's pull request. */
  let base: string;
  /** The sandbox branch's commit that moved beta. */
  let rehearsed: string;
  /** The production pull request's head: the same move. */
  let head: string;

  beforeEach(async () => {
    repo = await createFixtureRepo();
    server = await startGitHubServer({ repos: [REPO], anyCommit: true, token: TOKEN, now: () => clock });
    await repo.edit('policies/promotion.yaml', /\n$/, '\nmoves: { rehearsal: { branch: sandbox } }\n');
    base = await repo.commit('moves are rehearsed in the sandbox first');
    await repo.git.checkout(['-b', 'sandbox', base]);
    await moveBetaToItsOwnGroup(repo);
    rehearsed = await repo.commit('sandbox: beta gets a group of its own');
    // A later change of beta's file in the sandbox, which carries no move status: the search goes past it.
    await repo.edit('groups/beta.yaml', 'ring: early', 'ring: early\nsuspended: false');
    await repo.commit('sandbox: say beta is not suspended');
    await repo.git.checkout(['-b', 'move-beta', base]);
    await moveBetaToItsOwnGroup(repo);
    head = await repo.commit('beta gets a group of its own');
    await repo.git.checkout('main');
  });
  afterEach(async () => {
    await server.close();
    await removeDir(repo.dir);
  });

  /** Writes the move status on `commit` at `at`, as the sandbox's controller would. */
  async function seedMove(commit: string, state: 'success' | 'failure', at: string) {
    clock = Date.parse(at);
    await octokitFor(server, TOKEN).repos.createCommitStatus({
      owner: 'acme',
      repo: 'rollout',
      sha: commit,
      state,
      context: CONTEXT,
      description: `moved tenant beta from shared-1 to beta at ${at}`,
    });
  }

  const check = (extra: string[] = ['--github', REPO]) =>
    runRingmaster(['check', '--repo', repo.dir, '--base', base, '--head', head, ...extra], {
      env: { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: server.url },
    });
  const rehearsalRow = (out: string) => out.split('\n').find((l) => l.includes('| rehearsal |'));

  it('passes on the sandbox controller’s success status, naming the commit and when', async () => {
    await seedMove(rehearsed, 'success', '2026-11-20T10:00:00Z');
    server.log.length = 0;
    const run = await check();
    expect(rehearsalRow(run.out)).toBe(
      `| ✅ | rehearsal | beta | rehearsed in the sandbox: ${CONTEXT} turned success on sandbox commit ${rehearsed.slice(0, 12)} at 2026-11-20T10:00Z (GitHub ${REPO}) |`,
    );
    expect(run.code).toBe(0);
    // Newest first along the sandbox branch's commits that changed groups/beta.yaml, stopping at the evidence.
    const reads = server.log.filter((r) => r.method === 'GET' && r.path.includes('/commits/'));
    expect(reads.map((r) => r.path).at(-1)).toBe(`/repos/${REPO}/commits/${rehearsed}/statuses`);
    expect(reads).toHaveLength(2);
  });

  it('fails when the move did not succeed in the sandbox, saying what to do', async () => {
    await seedMove(rehearsed, 'failure', '2026-11-20T10:00:00Z');
    const run = await check();
    expect(rehearsalRow(run.out)).toBe(
      `| ❌ | rehearsal | beta | moving tenant beta from shared-1 to beta has not succeeded in the sandbox yet: no ${CONTEXT} success on the last 20 commits of sandbox that changed beta (GitHub ${REPO}); make the same move there first |`,
    );
    expect(run.out).toContain('**Verdict: forbidden**: 1 rule fails.');
    expect(run.code).toBe(1);
  });

  it('fails when the clone lacks the sandbox branch, saying how to fetch it', async () => {
    await repo.git.raw(['branch', '-D', 'sandbox']);
    const run = await check();
    expect(rehearsalRow(run.out)).toBe(
      '| ❌ | rehearsal | beta | moving tenant beta from shared-1 to beta must first succeed in the sandbox: the sandbox branch sandbox is not in this clone, so no rehearsal could be looked for: fetch it first (git fetch origin sandbox; in GitHub Actions, check out with fetch-depth: 0) |',
    );
    expect(run.code).toBe(1);
  });

  it('is unverified without --github, and allows the change as the bake rule does', async () => {
    const run = await check([]);
    expect(rehearsalRow(run.out)).toBe(
      "| ⚠️ | rehearsal | beta | moving tenant beta from shared-1 to beta must first succeed in the sandbox (branch sandbox); not verified: run check with --github to read the sandbox's statuses |",
    );
    expect(run.code).toBe(0);
  });

  it('asks nothing where the policy does not require rehearsals', async () => {
    await repo.git.checkout('move-beta');
    await repo.edit('policies/promotion.yaml', 'moves: { rehearsal: { branch: sandbox } }\n', '');
    head = await repo.commit('beta moves, and moves need no rehearsal any more');
    server.log.length = 0;
    const run = await check();
    expect(run.out).not.toContain('| rehearsal |');
    expect(server.log.filter((r) => r.path.includes('/statuses'))).toEqual([]);
  });
});
