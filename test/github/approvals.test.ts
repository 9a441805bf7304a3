import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ConfigurationError, TransientError } from '../../controller/errors.js';
import {
  ApprovalCache,
  type ApprovalRequest,
  type ApprovalVerdict,
  checkApproval,
} from '../../controller/github/approvals.js';
import { createGitHubClient } from '../../controller/github/client.js';
import { buildPolicy } from '../../controller/model/build.js';
import { type GitHubServer, startGitHubServer } from '../fakes/github-server.js';
import type { ReviewSeed } from '../fakes/github-state.js';
import { sha } from '../fakes/github-test-client.js';
import { FakeMergeEffects } from '../fakes/merge-effects.js';

const REPO = 'acme/app';
const MERGE = sha('merge');
const HEAD = sha('head');
const FIRST = sha('first');
const PUSHED = sha('pushed');

const policy = buildPolicy(
  {
    order: ['canary', 'early', 'broad'],
    rings: {
      canary: { bake: '0h', approvals: 1, reviewers: ['@acme/release-team'], directPush: true },
      early: { bake: '24h', approvals: 1 },
      broad: { bake: '72h', approvals: 2, reviewers: ['@acme/sre', '@carol'] },
    },
  },
  'policies/promotion.yaml',
);

describe('checkApproval against the local GitHub server', () => {
  let server: GitHubServer;
  let logs: Record<string, unknown>[];
  let clock: number;
  let merges: FakeMergeEffects;

  beforeEach(async () => {
    server = await startGitHubServer({ repos: [REPO] });
    server.state.setBranch(REPO, 'main', MERGE);
    server.state.addCommit(REPO, PUSHED);
    server.state.addTeamMember('acme', 'sre', 'alice');
    // Approvals count only from accounts with write access: the reviewers of these tests have it.
    server.state.grantWrite(REPO, 'alice', 'bob', 'carol', 'dave', 'erin');
    logs = [];
    clock = Date.parse('2026-11-22T10:00:00Z');
    merges = new FakeMergeEffects();
  });
  afterEach(() => server.close());

  function logger() {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    });
    return pino({ level: 'debug' }, sink);
  }

  function request(commit: string, rings: string[], extra: Partial<ApprovalRequest> = {}): ApprovalRequest {
    const log = logger();
    const client = createGitHubClient({ token: 't', baseUrl: server.url, log, retryAfterBaseValue: 1 });
    return {
      client,
      repo: { owner: 'acme', repo: 'app' },
      branch: 'main',
      commit,
      rings,
      policy,
      log,
      merges,
      ...extra,
    };
  }

  /** A pull request merged into main as MERGE (merge or squash), with reviews in the order given. */
  function mergedPull(
    reviews: [string, ReviewSeed['state']][],
    seed: { author?: string; base?: string } = {},
  ) {
    server.state.addPull(REPO, {
      number: 7,
      user: seed.author ?? 'octocat',
      head: { ref: 'promote', sha: HEAD },
      base: { ref: seed.base ?? 'main' },
      merge_commit_sha: MERGE,
      merged_at: '2026-11-22T09:00:00Z',
    });
    reviews.forEach(([user, state], i) =>
      server.state.addReview(REPO, 7, { user, state, submitted_at: `2026-11-22T08:0${i}:00Z` }),
    );
  }

  function refusal(verdict: ApprovalVerdict) {
    if (verdict.approved) throw new Error(`expected a refusal, got ${JSON.stringify(verdict)}`);
    return verdict;
  }

  it('approves a merged pull request with enough approvals, naming it and how each ring is met', async () => {
    mergedPull([
      ['alice', 'APPROVED'],
      ['bob', 'APPROVED'],
    ]);
    const verdict = await checkApproval(request(MERGE, ['broad', 'early']));
    expect(verdict).toEqual({
      approved: true,
      pullRequest: 7,
      reasons: [
        '#7 (https://github.com/acme/app/pull/7) by octocat, approved by alice, bob',
        'ring broad: needs 2 approvals incl. @acme/sre or @carol, has 2 (alice, bob); alice via @acme/sre',
        'ring early: needs 1 approval, has 2 (alice, bob)',
      ],
    });
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'Commit approved', pullRequest: 7 }));
  });

  it("does not count the author's own approval", async () => {
    mergedPull([['alice', 'APPROVED']], { author: 'Alice' });
    const verdict = refusal(await checkApproval(request(MERGE, ['early'])));
    expect(verdict).toMatchObject({ pullRequest: 7, reason: 'ring early needs 1 approval; has 0' });
    expect(verdict.detail).toContain('#7 (https://github.com/acme/app/pull/7) by Alice, approved by nobody');
  });

  it.each<[string, ReviewSeed['state'][], string | undefined]>([
    [
      'a later change request replaces an approval',
      ['APPROVED', 'CHANGES_REQUESTED'],
      'ring early: changes requested by bob',
    ],
    ['a later comment leaves an approval standing', ['APPROVED', 'COMMENTED'], undefined],
    ['a later approval replaces a change request', ['CHANGES_REQUESTED', 'APPROVED'], undefined],
    [
      'a dismissal withdraws the opinion without bringing back an earlier one',
      ['APPROVED', 'DISMISSED'],
      'ring early needs 1 approval; has 0',
    ],
    ['a comment alone is no approval', ['COMMENTED'], 'ring early needs 1 approval; has 0'],
  ])('counts only the latest opinion of a reviewer: %s', async (_name, states, reason) => {
    mergedPull(states.map((state) => ['bob', state]));
    const verdict = await checkApproval(request(MERGE, ['early']));
    if (reason === undefined) expect(verdict).toMatchObject({ approved: true, pullRequest: 7 });
    else expect(verdict).toMatchObject({ approved: false, reason });
  });

  it.each<[string, [ReviewSeed['state'], string][], string | undefined]>([
    [
      'an approval of an earlier commit does not count',
      [['APPROVED', FIRST]],
      'ring early needs 1 approval; has 0; not counted: bob (earlier commit)',
    ],
    ['an approval of the final head counts', [['APPROVED', HEAD]], undefined],
    [
      'an approval of the final head after one of an earlier commit counts',
      [
        ['APPROVED', FIRST],
        ['APPROVED', HEAD],
      ],
      undefined,
    ],
    [
      'a change request on an earlier commit still blocks, as GitHub keeps it standing',
      [['CHANGES_REQUESTED', FIRST]],
      'ring early: changes requested by bob',
    ],
    [
      'an approval of an earlier commit lifts the change request but does not count',
      [
        ['CHANGES_REQUESTED', FIRST],
        ['APPROVED', FIRST],
      ],
      'ring early needs 1 approval; has 0; not counted: bob (earlier commit)',
    ],
  ])('counts approvals of the final head only: %s', async (_name, reviews, reason) => {
    mergedPull([]);
    reviews.forEach(([state, commit], i) =>
      server.state.addReview(REPO, 7, {
        user: 'bob',
        state,
        commit_id: commit,
        submitted_at: `2026-11-22T08:0${i}:00Z`,
      }),
    );
    const verdict = await checkApproval(request(MERGE, ['early']));
    if (reason === undefined) expect(verdict).toMatchObject({ approved: true, pullRequest: 7 });
    else expect(verdict).toMatchObject({ approved: false, pullRequest: 7, reason });
  });

  it('says in the detail which commit a stale approval was given on', async () => {
    mergedPull([]);
    server.state.addReview(REPO, 7, { user: 'bob', state: 'APPROVED', commit_id: FIRST });
    const verdict = refusal(await checkApproval(request(MERGE, ['early'])));
    expect(verdict.detail).toContain(
      `bob approved ${FIRST.slice(0, 7)}, not the head ${HEAD.slice(0, 7)} the pull request was merged with`,
    );
  });

  it.each<[string, [string, ReviewSeed['state']][], string | undefined]>([
    [
      'an approval by a member of a listed team counts',
      [
        ['alice', 'APPROVED'],
        ['bob', 'APPROVED'],
      ],
      undefined,
    ],
    [
      'an approval by a listed user counts, whatever the case of the login',
      [
        ['Carol', 'APPROVED'],
        ['bob', 'APPROVED'],
      ],
      undefined,
    ],
    [
      'an approval by an outsider does not',
      [
        ['dave', 'APPROVED'],
        ['bob', 'APPROVED'],
      ],
      'ring broad needs 2 approvals incl. @acme/sre or @carol; has 2 (dave, bob)',
    ],
    [
      'an approval by someone whose team invitation is pending does not',
      [
        ['erin', 'APPROVED'],
        ['bob', 'APPROVED'],
      ],
      'ring broad needs 2 approvals incl. @acme/sre or @carol; has 2 (erin, bob)',
    ],
    [
      'a listed reviewer alone is not enough when two approvals are needed',
      [['alice', 'APPROVED']],
      'ring broad needs 2 approvals incl. @acme/sre or @carol; has 1 (alice)',
    ],
    [
      'a change request by a listed reviewer blocks',
      [
        ['alice', 'APPROVED'],
        ['bob', 'APPROVED'],
        ['carol', 'CHANGES_REQUESTED'],
      ],
      'ring broad: changes requested by carol',
    ],
    [
      'a change request by an unlisted reviewer does not block',
      [
        ['alice', 'APPROVED'],
        ['bob', 'APPROVED'],
        ['dave', 'CHANGES_REQUESTED'],
      ],
      undefined,
    ],
  ])("applies a ring's listed reviewers: %s", async (_name, reviews, reason) => {
    server.state.addTeamMember('acme', 'sre', 'erin', 'pending');
    mergedPull(reviews);
    const verdict = await checkApproval(request(MERGE, ['broad']));
    if (reason === undefined) expect(verdict).toMatchObject({ approved: true, pullRequest: 7 });
    else expect(verdict).toMatchObject({ approved: false, pullRequest: 7, reason });
  });

  it.each<[string, (state: GitHubServer['state']) => void, string | undefined]>([
    ['an admin counts', (st) => st.setRole(REPO, 'mallory', 'admin'), undefined],
    ['a maintainer counts', (st) => st.setRole(REPO, 'mallory', 'maintain'), undefined],
    [
      'a custom role inheriting write counts',
      (st) => st.setRole(REPO, 'mallory', { name: 'deployer', base: 'write' }),
      undefined,
    ],
    [
      'a reader does not',
      (st) => st.setRole(REPO, 'mallory', 'read'),
      'ring broad needs 2 approvals incl. @acme/sre or @carol; has 1 (alice); not counted: mallory (no write access)',
    ],
    [
      'a triager does not',
      (st) => st.setRole(REPO, 'mallory', 'triage'),
      'ring broad needs 2 approvals incl. @acme/sre or @carol; has 1 (alice); not counted: mallory (no write access)',
    ],
    [
      'an account without access to the repository does not',
      () => {},
      'ring broad needs 2 approvals incl. @acme/sre or @carol; has 1 (alice); not counted: mallory (no write access)',
    ],
    [
      'a deleted account (GitHub answers 404) does not',
      (st) => st.deleteAccount('mallory'),
      'ring broad needs 2 approvals incl. @acme/sre or @carol; has 1 (alice); not counted: mallory (no write access)',
    ],
  ])('counts approvals only from accounts with write access: %s', async (_name, seed, reason) => {
    seed(server.state);
    mergedPull([
      ['alice', 'APPROVED'],
      ['mallory', 'APPROVED'],
    ]);
    const verdict = await checkApproval(request(MERGE, ['broad']));
    if (reason === undefined) expect(verdict).toMatchObject({ approved: true, pullRequest: 7 });
    else expect(verdict).toMatchObject({ approved: false, pullRequest: 7, reason });
  });

  it('does not let a change request from an account without write access block, as on GitHub', async () => {
    mergedPull([
      ['bob', 'APPROVED'],
      ['mallory', 'CHANGES_REQUESTED'],
    ]);
    const verdict = await checkApproval(request(MERGE, ['early']));
    expect(verdict).toMatchObject({ approved: true, pullRequest: 7 });
  });

  it('asks for the permission of each login once per verdict, and not for approvals that cannot count', async () => {
    mergedPull([
      ['alice', 'APPROVED'],
      ['bob', 'APPROVED'],
    ]);
    server.state.addReview(REPO, 7, { user: 'mallory', state: 'APPROVED', commit_id: FIRST });
    expect(await checkApproval(request(MERGE, ['broad', 'early']))).toMatchObject({ approved: true });
    const asked = server.log.filter((r) => r.path.includes('/collaborators/')).map((r) => r.path);
    expect(asked).toEqual([
      '/repos/acme/app/collaborators/alice/permission',
      '/repos/acme/app/collaborators/bob/permission',
    ]);
  });

  it.each([
    ['the author of the head commit', { author: 'bob', committer: 'web-flow' }],
    ['the committer of the head commit', { author: 'octocat', committer: 'Bob' }],
  ])("does not count the approval of %s (GitHub's most recent push rule)", async (_name, accounts) => {
    mergedPull([
      ['alice', 'APPROVED'],
      ['bob', 'APPROVED'],
    ]);
    server.state.setCommitAccounts(REPO, HEAD, accounts);
    const verdict = refusal(await checkApproval(request(MERGE, ['broad'])));
    expect(verdict.reason).toBe(
      'ring broad needs 2 approvals incl. @acme/sre or @carol; has 1 (alice); not counted: bob (pushed the head)',
    );
    expect(verdict.detail).toContain(`bob authored or committed the head ${HEAD.slice(0, 7)}`);
    expect(verdict.detail).not.toContain('web-flow');
  });

  it('refuses a pull request whose head commit GitHub does not list (over 250 commits): who pushed it is unknown', async () => {
    server.state.addPull(REPO, {
      number: 7,
      head: { ref: 'promote', sha: HEAD },
      commits: Array.from({ length: 260 }, (_, i) => sha(`c${i}`)),
      merge_commit_sha: MERGE,
      merged_at: '2026-11-22T09:00:00Z',
    });
    server.state.addReview(REPO, 7, { user: 'bob', state: 'APPROVED' });
    const verdict = refusal(await checkApproval(request(MERGE, ['early'])));
    expect(verdict.reason).toMatch(/^#7: GitHub lists 250 of its commits, not its head/);
  });

  it('hints at the token or the team when GitHub answered 404 to every membership of a team', async () => {
    mergedPull([
      ['dave', 'APPROVED'],
      ['bob', 'APPROVED'],
    ]);
    const verdict = refusal(await checkApproval(request(MERGE, ['broad'])));
    expect(verdict.detail).toContain('GitHub answered 404 to every membership asked of @acme/sre');
    const asked = server.log.filter((r) => r.path.startsWith('/orgs/')).map((r) => r.path);
    expect(asked).toEqual(['/orgs/acme/teams/sre/memberships/dave', '/orgs/acme/teams/sre/memberships/bob']);
  });

  it('refuses a direct push for a protected ring and accepts it, without asking GitHub, for a directPush ring', async () => {
    const refused = refusal(await checkApproval(request(PUSHED, ['broad', 'early'])));
    expect(refused.reason).toBe(
      `not applied: ${PUSHED.slice(0, 7)} reached main without a merged pull request; rings broad, early need one`,
    );
    expect(refused.pullRequest).toBeUndefined();
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: 'Commit not approved' }));
    const before = server.log.length;
    const accepted = await checkApproval(request(PUSHED, ['canary']));
    expect(accepted).toEqual({ approved: true, reasons: ['ring canary allows direct pushes'] });
    expect(await checkApproval(request(PUSHED, []))).toEqual({
      approved: true,
      reasons: ['changes no ring'],
    });
    expect(server.log.length).toBe(before);
  });

  it('judges a pull request by its guarded rings only when it also changes a directPush ring', async () => {
    mergedPull([['bob', 'APPROVED']]);
    const verdict = await checkApproval(request(MERGE, ['canary', 'early']));
    expect(verdict).toMatchObject({ approved: true, pullRequest: 7 });
    expect(verdict.approved && verdict.reasons).toContain('ring canary allows direct pushes');
  });

  it.each([
    ['a squash or merge commit, by merge_commit_sha', MERGE],
    ['a rebase-merged commit, among the pull request commits', FIRST],
  ])('finds the pull request of %s', async (_name, commit) => {
    server.state.addPull(REPO, {
      number: 7,
      head: { ref: 'promote', sha: HEAD },
      commits: [FIRST],
      merge_commit_sha: MERGE,
      merged_at: '2026-11-22T09:00:00Z',
    });
    server.state.addReview(REPO, 7, { user: 'bob', state: 'APPROVED' });
    const verdict = await checkApproval(request(commit, ['early']));
    expect(verdict).toMatchObject({ approved: true, pullRequest: 7 });
    expect(server.log.map((r) => r.path)).toEqual([
      `/repos/acme/app/commits/${commit}/pulls`,
      '/repos/acme/app/pulls/7/commits',
      '/repos/acme/app/pulls/7/reviews',
      '/repos/acme/app/collaborators/bob/permission',
    ]);
  });

  it('asks whether a merge or squash commit is what merging the head produces, and refuses it when it is not', async () => {
    mergedPull([['bob', 'APPROVED']]);
    merges.answer = {
      outcome: 'differs',
      paths: ['groups/a.yaml', 'groups/b.yaml', 'groups/c.yaml', 'policies/promotion.yaml'],
    };
    const verdict = refusal(await checkApproval(request(MERGE, ['early'])));
    expect(merges.asked).toEqual([{ commit: MERGE, head: HEAD, pull: 7 }]);
    expect(verdict).toMatchObject({
      pullRequest: 7,
      reason: `${MERGE.slice(0, 7)} is not what merging #7 (head ${HEAD.slice(0, 7)}) produces: it differs in groups/a.yaml, groups/b.yaml, groups/c.yaml and 1 more`,
    });
    expect(verdict.detail).toContain(
      'Differing paths: groups/a.yaml, groups/b.yaml, groups/c.yaml, policies/promotion.yaml',
    );
  });

  it.each([
    [
      'a conflict',
      { outcome: 'conflict' as const, paths: ['groups/rings.yaml'] },
      `merging #7 (head ${HEAD.slice(0, 7)}) onto the parent of ${MERGE.slice(0, 7)} conflicts in groups/rings.yaml`,
    ],
    [
      'a head nowhere to be read',
      { outcome: 'head-missing' as const },
      `the head ${HEAD.slice(0, 7)} of #7 is not in the mirror nor on the remote as refs/pull/7/head`,
    ],
  ])('refuses a merge commit on %s', async (_name, answer, reason) => {
    mergedPull([['bob', 'APPROVED']]);
    merges.answer = answer;
    expect(await checkApproval(request(MERGE, ['early']))).toMatchObject({
      approved: false,
      reason,
    });
  });

  it("does not compare one of the pull request's own commits (a fast-forward): it is what was pushed for review", async () => {
    server.state.addPull(REPO, {
      number: 7,
      head: { ref: 'promote', sha: HEAD },
      commits: [FIRST],
      merge_commit_sha: HEAD,
      merged_at: '2026-11-22T09:00:00Z',
    });
    server.state.addReview(REPO, 7, { user: 'bob', state: 'APPROVED' });
    merges.answer = { outcome: 'differs', paths: ['groups/rings.yaml'] };
    expect(await checkApproval(request(FIRST, ['early']))).toMatchObject({ approved: true, pullRequest: 7 });
    expect(await checkApproval(request(HEAD, ['early']))).toMatchObject({ approved: true, pullRequest: 7 });
    expect(merges.asked).toEqual([]);
  });

  it('refuses an earlier commit of a rebase merge, saying to merge or squash', async () => {
    const rebased = sha('rebased');
    server.state.addPull(REPO, {
      number: 7,
      head: { ref: 'promote', sha: HEAD },
      commits: [FIRST],
      associated: [rebased],
      merge_commit_sha: MERGE,
      merged_at: '2026-11-22T09:00:00Z',
    });
    server.state.addReview(REPO, 7, { user: 'bob', state: 'APPROVED' });
    const verdict = refusal(await checkApproval(request(rebased, ['early'])));
    expect(verdict).toMatchObject({
      pullRequest: 7,
      reason: `${rebased.slice(0, 7)} is an earlier commit of a rebase merge of #7; ring early needs a merge or squash commit`,
    });
    expect(verdict.detail).toContain('merge or squash pull requests that change rings');
  });

  it.each([
    ['an open pull request', { state: 'open' as const }],
    ['a closed, unmerged pull request', { state: 'closed' as const }],
    [
      'a pull request merged into another branch',
      { base: { ref: 'release' }, merge_commit_sha: PUSHED, merged_at: '2026-11-22T09:00:00Z' },
    ],
  ])('does not accept %s', async (_name, seed) => {
    server.state.addPull(REPO, { number: 8, head: { ref: 'feature', sha: PUSHED }, ...seed });
    server.state.addReview(REPO, 8, { user: 'bob', state: 'APPROVED' });
    const verdict = refusal(await checkApproval(request(PUSHED, ['early'])));
    expect(verdict.reason).toMatch(/reached main without a merged pull request; ring early needs one$/);
  });

  it('remembers an approval: the second check of the commit asks GitHub nothing', async () => {
    mergedPull([
      ['alice', 'APPROVED'],
      ['bob', 'APPROVED'],
    ]);
    const cache = new ApprovalCache();
    const first = await checkApproval(request(MERGE, ['broad'], { cache }));
    const asked = server.log.length;
    expect(asked).toBeGreaterThan(0);
    const second = await checkApproval(request(MERGE, ['broad'], { cache }));
    expect(second).toEqual(first);
    expect(server.log.length).toBe(asked);
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'Approval verdict from cache', approved: true }),
    );
  });

  it('remembers a refusal for a while only, then asks again', async () => {
    const cache = new ApprovalCache({ now: () => clock, refusalTtlMs: 60_000 });
    const check = () => checkApproval(request(PUSHED, ['early'], { cache }));
    expect((await check()).approved).toBe(false);
    clock += 59_000;
    await check();
    expect(server.log).toHaveLength(1);
    server.state.addPull(REPO, {
      number: 9,
      head: { ref: 'late', sha: PUSHED },
      merge_commit_sha: PUSHED,
      merged_at: '2026-11-22T09:00:00Z',
    });
    server.state.addReview(REPO, 9, { user: 'bob', state: 'APPROVED' });
    clock += 2_000;
    expect(await check()).toMatchObject({ approved: true, pullRequest: 9 });
  });

  it('keeps the short reason within the 140 characters of a status description', async () => {
    const many = buildPolicy(
      {
        order: ['a', 'b', 'c'],
        rings: Object.fromEntries(
          ['a', 'b', 'c'].map((r) => [
            r,
            { bake: '0h', approvals: 3, reviewers: ['@acme/sre', '@acme/release-team'] },
          ]),
        ),
      },
      'policies/promotion.yaml',
    );
    mergedPull([['bob', 'APPROVED']]);
    const verdict = refusal(await checkApproval(request(MERGE, ['a', 'b', 'c'], { policy: many })));
    expect(verdict.reason.length).toBeLessThanOrEqual(140);
    expect(verdict.reason).toMatch(
      /^ring a needs 3 approvals incl\. @acme\/sre or @acme\/release-team; has 1 \(bob\); ring b .*…$/,
    );
    expect(verdict.detail).toContain('ring c needs 3 approvals');
  });

  it('throws ConfigurationError naming --github when GitHub does not know the repository', async () => {
    const failure = checkApproval({ ...request(MERGE, ['early']), repo: { owner: 'acme', repo: 'nope' } });
    await expect(failure).rejects.toThrow(ConfigurationError);
    await expect(failure).rejects.toMatchObject({
      reason: 'GitHubRepositoryNotFound',
      message: expect.stringMatching(
        /^ListPullRequestsAssociatedWithCommit failed for acme\/nope .*--github/,
      ),
    });
  });

  it('throws TransientError when GitHub is unreachable, and remembers nothing', async () => {
    const cache = new ApprovalCache();
    const req = request(MERGE, ['early'], { cache });
    await server.close();
    const failure = checkApproval(req);
    await expect(failure).rejects.toThrow(TransientError);
    await expect(failure).rejects.toMatchObject({ reason: 'GitHubUnavailable' });
    server = await startGitHubServer({ repos: [REPO] });
    server.state.setBranch(REPO, 'main', MERGE);
    server.state.grantWrite(REPO, 'bob');
    mergedPull([['bob', 'APPROVED']]);
    const client = createGitHubClient({ token: 't', baseUrl: server.url, log: req.log });
    expect(await checkApproval({ ...req, client })).toMatchObject({ approved: true });
  });

  it('throws ConfigurationError for a ring the policy does not name', async () => {
    await expect(checkApproval(request(MERGE, ['nowhere']))).rejects.toMatchObject({ reason: 'UnknownRing' });
  });
});
