/**
 * The controller against GitHub, end to end: a real repository followed
 * through the mirror, statuses and pull requests on the local GitHub server.
 */
import { join } from 'node:path';
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { writeFile } from 'node:fs/promises';
import { squashCommit } from '../helpers/pull-requests.js';
import { RemoteBranches } from '../fakes/github-git-branches.js';
import { type GitHubServer, startGitHubServer } from '../fakes/github-server.js';

const SUNDAY_WINDOW = new Date('2026-11-22T01:30:00Z');
const TWO_DAYS_LATER = new Date('2026-11-24T01:30:00Z');
const REPO = 'acme/rollout';

describe('ringmaster run --github', () => {
  let repo: FixtureRepo;
  let state: string;
  let server: GitHubServer;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
    server = await startGitHubServer({ repos: [REPO], anyCommit: true, token: 'test-token' });
    server.state.addTeamMember('test', 'release', 'bob');
    // Approvals count only from accounts with write access to the repository.
    server.state.grantWrite(REPO, 'alice', 'bob');
  });
  afterEach(async () => {
    await server.close();
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const run = (now: Date, ...extra: string[]) =>
    runRingmaster(
      [
        'run',
        '--once',
        ...extra,
        '--github',
        REPO,
        '--status-url',
        'https://ringmaster.example.com',
        '--repo',
        repo.dir,
        '--state',
        state,
        '--sim-speed',
        '100000',
        '--log-file',
        join(state, 'log.json'),
      ],
      { now, env: { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: server.url } },
    );
  /** Every status GitHub holds for `commit`, oldest first (as the fake stores them), as `context state description`. */
  const statuses = (commit: string) =>
    server.state.statusesOf(REPO, commit).map((s) => `${s.context} ${s.state} ${s.description ?? ''}`);

  /** Merges a branch that promotes `release` into `ring` as pull request `number`, reviewed by `reviewer`. */
  async function mergePromotion(
    ring: string,
    from: string,
    release: string,
    number: number,
    reviewer: string,
  ) {
    await repo.git.checkoutLocalBranch(`promote-${ring}`);
    await repo.edit(
      'groups/rings.yaml',
      `name: ${ring}\n    release: "${from}"`,
      `name: ${ring}\n    release: "${release}"`,
    );
    const head = await repo.commit(`Promote ${release} to ${ring}`);
    // GitHub keeps every pull request's head as refs/pull/<number>/head.
    await repo.git.raw(['update-ref', `refs/pull/${number}/head`, head]);
    await repo.git.checkout('main');
    await repo.git.merge(['--no-ff', '-m', `Merge pull request #${number}`, `promote-${ring}`]);
    const merge = (await repo.git.revparse(['HEAD'])).trim();
    server.state.addPull(REPO, {
      number,
      head: { ref: `promote-${ring}`, sha: head },
      base: { ref: 'main' },
      user: 'alice',
      state: 'closed',
      merge_commit_sha: merge,
      merged_at: '2026-11-23T10:00:00Z',
    });
    server.state.addReview(REPO, number, {
      user: reviewer,
      state: 'APPROVED',
      submitted_at: '2026-11-23T09:00:00Z',
    });
    return merge;
  }

  it('reports each ring pending then success, with a link, and rolls out an approved promotion', async () => {
    const first = await run(SUNDAY_WINDOW);
    expect(first.code).toBe(0);
    // The stable group waits at its manual gate; canary and early end in success.
    expect(statuses(repo.baseSha)).toEqual([
      'ringmaster/canary pending canary: 0/1 groups on 2026.11.1',
      'ringmaster/early pending early: 0/1 groups on 2026.11.0',
      'ringmaster/stable pending stable: 0/1 groups on 2026.10.4',
      'ringmaster/canary success canary: 1/1 groups on 2026.11.1',
      'ringmaster/early success early: 1/1 groups on 2026.11.0',
      expect.stringMatching(
        /^ringmaster\/stable pending stable: 0\/1 groups on 2026\.10\.4 · 1 waiting: waiting for approval/,
      ),
    ]);
    expect(server.state.statusesOf(REPO, repo.baseSha).map((s) => s.target_url)).toContain(
      `https://ringmaster.example.com/commits/${repo.baseSha}?ring=early`,
    );

    const merge = await mergePromotion('early', '2026.11.0', '2026.11.1', 7, 'bob');
    const second = await run(TWO_DAYS_LATER);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/✓ shared-1@[0-9a-f]{12} succeeded/);
    expect(statuses(merge)).toEqual([
      'ringmaster/early pending early: 0/1 groups on 2026.11.1',
      'ringmaster/early success early: 1/1 groups on 2026.11.1',
    ]);
  });

  it('refuses a commit pushed straight to a protected ring, with an error status, and applies nothing', async () => {
    expect((await run(SUNDAY_WINDOW)).code).toBe(0);
    await repo.edit(
      'groups/rings.yaml',
      'name: early\n    release: "2026.11.0"',
      'name: early\n    release: "2026.11.1"',
    );
    const pushed = await repo.commit('Promote 2026.11.1 to early, without review');
    const refused = await run(TWO_DAYS_LATER);
    expect(refused.code).toBe(0);
    expect(refused.out).toMatch(new RegExp(`✗ ${pushed.slice(0, 12)} is not applied: .*pull request`));
    expect(refused.out).not.toContain('shared-1@');
    expect(statuses(pushed)).toEqual([
      expect.stringMatching(/^ringmaster error .*without a merged pull request/),
    ]);
    // Polling again changes nothing and writes nothing new.
    const posts = server.log.filter((r) => r.method === 'POST').length;
    expect((await run(TWO_DAYS_LATER)).out).not.toContain('shared-1@');
    expect(server.log.filter((r) => r.method === 'POST')).toHaveLength(posts);
  });

  it('refuses a promotion whose pull request was approved only by its author', async () => {
    expect((await run(SUNDAY_WINDOW)).code).toBe(0);
    const merge = await mergePromotion('early', '2026.11.0', '2026.11.1', 8, 'alice');
    const refused = await run(TWO_DAYS_LATER);
    expect(refused.out).not.toContain('shared-1@');
    expect(statuses(merge)).toEqual([expect.stringMatching(/^ringmaster error .*early/)]);
  });

  it('applies a squash-merged pull request, its head read from refs/pull/N/head, and refuses one whose squash commit changes more', async () => {
    expect((await run(SUNDAY_WINDOW)).code).toBe(0);
    type Edit = [path: string, from: string, to: string];
    /**
     * Squashes a branch making `edit` as pull request `number`, approved by bob; `smuggle`,
     * applied to the branch's version of its file, goes into the squash commit alone.
     */
    const squash = async (number: number, [path, from, to]: Edit, smuggle?: Edit) => {
      await repo.git.checkoutLocalBranch(`change-${number}`);
      await repo.edit(path, from, to);
      const head = await repo.commit(`Change ${path}`);
      await repo.git.checkout('main');
      const extra = smuggle && {
        [smuggle[0]]: (await repo.git.show([`${head}:${smuggle[0]}`])).replace(smuggle[1], smuggle[2]),
      };
      const commit = await squashCommit(repo, `change-${number}`, { number, smuggle: extra });
      server.state.addPull(REPO, {
        number,
        head: { ref: `change-${number}`, sha: head },
        user: 'alice',
        merge_commit_sha: commit,
        merged_at: '2026-11-23T10:00:00Z',
      });
      server.state.addReview(REPO, number, {
        user: 'bob',
        state: 'APPROVED',
        submitted_at: '2026-11-23T09:00:00Z',
      });
      return commit;
    };
    await squash(11, [
      'groups/rings.yaml',
      'name: early\n    release: "2026.11.0"',
      'name: early\n    release: "2026.11.1"',
    ]);
    expect((await run(TWO_DAYS_LATER)).out).toMatch(/✓ shared-1@[0-9a-f]{12} succeeded/);

    const commit = await squash(
      12,
      ['groups/shared-1.yaml', 'language: fr-FR', 'language: fr-BE'],
      // Ring early's too, so bob's approval would cover it: only the comparison with the pull request refuses it.
      ['groups/shared-1.yaml', 'language: en-GB', 'language: en-US'],
    );
    const refused = await run(TWO_DAYS_LATER);
    expect(refused.out).toMatch(
      new RegExp(
        `✗ ${commit.slice(0, 12)} is not applied: ${commit.slice(0, 7)} is not what merging #12 .* differs in groups/shared-1\\.yaml`,
      ),
    );
    expect(statuses(commit)).toEqual([expect.stringMatching(/^ringmaster error .*groups\/shared-1\.yaml/)]);
    expect(refused.out).not.toContain('shared-1@');
  });

  it('opens exactly one pull request returning a halted ring to its release, where the policy asks', async () => {
    server.state.repo(REPO).branches = new RemoteBranches(join(repo.dir, '.git'));
    await repo.edit(
      'policies/promotion.yaml',
      'maxParallel: 5 }\n  stable',
      'maxParallel: 5, revertOnRollback: true }\n  stable',
    );
    await repo.commit('early reverts a halted rollout');
    expect((await run(SUNDAY_WINDOW)).code).toBe(0);
    const merge = await mergePromotion('early', '2026.11.0', '2026.11.1', 9, 'bob');
    await writeFile(
      join(state, 'faults.yaml'),
      'faults:\n  - { group: shared-1, step: verify, kind: permanent }\n',
    );
    const halted = await run(TWO_DAYS_LATER, '--sim-faults', join(state, 'faults.yaml'));
    expect(halted.out).toMatch(/↺ shared-1@[0-9a-f]{12} rolled-back/);
    expect(halted.out).toMatch(/↩ opened .*\/pull\/\d+: return early to 2026\.11\.0/);
    const pulls = () =>
      [...server.state.repo(REPO).pulls.values()].filter((p) => p.head.ref.startsWith('ringmaster/revert-'));
    expect(pulls()).toHaveLength(1);
    const [pull] = pulls();
    expect(pull).toEqual(expect.objectContaining({ state: 'open', title: 'Revert early to 2026.11.0' }));
    expect(pull!.base.ref).toBe('main');
    const branchFile = await repo.git.show([`${pull!.head.ref}:groups/rings.yaml`]);
    expect(branchFile).toContain('name: early\n    release: "2026.11.0"');
    expect(await repo.git.raw(['rev-parse', `${pull!.head.ref}^`])).toBe(`${merge}\n`);

    // Later looks find the ring still halted: no second pull request, even once the first is closed.
    expect((await run(TWO_DAYS_LATER, '--sim-faults', join(state, 'faults.yaml'))).out).not.toContain(
      '↩ opened',
    );
    pull!.state = 'closed';
    expect((await run(TWO_DAYS_LATER, '--sim-faults', join(state, 'faults.yaml'))).out).not.toContain(
      '↩ opened',
    );
    expect(pulls()).toHaveLength(1);
  });

  it('keeps following the commit it had while GitHub cannot be asked about a new head, then judges it', async () => {
    expect((await run(SUNDAY_WINDOW)).code).toBe(0);
    const merge = await mergePromotion('early', '2026.11.0', '2026.11.1', 10, 'bob');
    // GitHub goes away; `run` still points at where it was.
    await server.close();
    const offline = await run(TWO_DAYS_LATER);
    expect(offline.out).toContain(
      `… ${merge.slice(0, 12)} waits: its approvals could not be checked on GitHub; still following ${repo.baseSha.slice(0, 12)} until they can`,
    );
    expect(offline.out).not.toContain('shared-1@');
    // Nothing changed on the commit it follows, so there was nothing to write: a quiet look.
    expect(offline.code).toBe(0);

    server = await startGitHubServer({ repos: [REPO], anyCommit: true, token: 'test-token' });
    server.state.addTeamMember('test', 'release', 'bob');
    // Approvals count only from accounts with write access to the repository.
    server.state.grantWrite(REPO, 'alice', 'bob');
    server.state.addPull(REPO, {
      number: 10,
      head: { ref: 'promote-early', sha: (await repo.git.revparse([`${merge}^2`])).trim() },
      base: { ref: 'main' },
      user: 'alice',
      state: 'closed',
      merge_commit_sha: merge,
      merged_at: '2026-11-23T10:00:00Z',
    });
    server.state.addReview(REPO, 10, {
      user: 'bob',
      state: 'APPROVED',
      submitted_at: '2026-11-23T09:00:00Z',
    });
    const online = await run(TWO_DAYS_LATER);
    expect(online.code).toBe(0);
    expect(online.out).toMatch(/✓ shared-1@[0-9a-f]{12} succeeded/);
  });
});
