/**
 * The commit gate end to end below the CLI: real commits in a test repository
 * (merge commits, squashes, direct pushes) read through the mirror, and the
 * pull requests, reviews and permissions GitHub would answer from the local
 * GitHub server. One row per bypass the gate closes and per rule it keeps.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { ApprovalCache } from '../../controller/github/approvals.js';
import { createGitHubClient } from '../../controller/github/client.js';
import { type CommitGateDeps, judgeNewCommits } from '../../controller/github/commit-gate.js';
import { loadConstellation } from '../../controller/model/load.js';
import { DEFAULT_PARSE_LIMITS } from '../../controller/model/parse.js';
import { createSchemaValidator } from '../../controller/schema/validator.js';
import { GitMergeEffects } from '../../controller/source/git-merge-effects.js';
import { GitMirror } from '../../controller/source/mirror.js';
import type { ReviewSeed } from '../fakes/github-state.js';
import { type GitHubServer, startGitHubServer } from '../fakes/github-server.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { type Edits, mergeCommit, pushBranch, squashCommit } from '../helpers/pull-requests.js';

const REPO = 'acme/rollout';
const validator = createSchemaValidator('schemas');

/** A replacement in one file: [path, from, to]. */
type Edit = readonly [path: string, from: string, to: string];

const EARLY_UP: Edit = [
  'groups/rings.yaml',
  'name: early\n    release: "2026.11.0"',
  'name: early\n    release: "2026.11.1"',
];
const STABLE_UP: Edit = [
  'groups/rings.yaml',
  'name: stable\n    release: "2026.10.4"',
  'name: stable\n    release: "2026.11.0"',
];
/** A change to a group of ring early: ring early's approvals cover it. */
const EARLY_TENANT: Edit = ['groups/shared-1.yaml', 'language: fr-FR', 'language: fr-BE'];
/** A change to the group of ring canary, whose policy allows direct pushes. */
const CANARY_TENANT: Edit = ['groups/internal.yaml', 'language: en-US', 'language: en-GB'];
const STABLE_ONE_APPROVAL: Edit = ['policies/promotion.yaml', 'approvals: 2', 'approvals: 1'];

/** A review: who, what, and on which commit of the branch (default: its head). */
type Review = readonly [login: string, state: ReviewSeed['state'], commit?: 'earlier'];

/** A pull request to make: its commits (one list of edits each), how it is merged, who reviewed it. */
interface PullPlan {
  readonly number: number;
  readonly commits: readonly (readonly Edit[])[];
  readonly how: 'merge' | 'squash';
  readonly reviews: readonly Review[];
  readonly author?: string;
  /** Edits written into the merge or squash commit alone. */
  readonly smuggle?: readonly Edit[];
  /** The accounts GitHub links to the head commit. */
  readonly headAccounts?: { readonly author?: string; readonly committer?: string };
}

describe('judgeNewCommits: the commits since the followed head, with real git and the local GitHub server', () => {
  let repo: FixtureRepo;
  let state: string;
  let server: GitHubServer;
  let mirror: GitMirror;
  let followed: string;

  beforeEach(async () => {
    repo = await createFixtureRepo();
    await repo.edit(
      'policies/promotion.yaml',
      'canary: { bake: 0h,',
      'canary: { bake: 0h, directPush: true,',
    );
    followed = await repo.commit('canary takes direct pushes');
    state = await makeTempDir('ringmaster-gate-');
    mirror = new GitMirror({ remote: repo.dir, branch: 'main', dir: join(state, 'mirror.git') });
    await mirror.fetch();
    await mirror.accept(followed);
    server = await startGitHubServer({ repos: [REPO], anyCommit: true });
    server.state.addTeamMember('test', 'release', 'bob');
    server.state.addTeamMember('test', 'release', 'carol');
    server.state.addTeamMember('test', 'sre', 'sam');
    server.state.grantWrite(REPO, 'alice', 'bob', 'carol', 'dave', 'sam', 'carl');
    server.state.setRole(REPO, 'mallory', 'read');
  });
  afterEach(async () => {
    await server.close();
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const load = async (commit: string) =>
    (await loadConstellation(mirror.source(commit), { validator, limits: DEFAULT_PARSE_LIMITS }))
      .constellation;

  function deps(): CommitGateDeps {
    const log = pino({ level: 'silent' });
    return {
      client: createGitHubClient({ token: 't', baseUrl: server.url, log }),
      repo: { owner: 'acme', repo: 'rollout' },
      branch: 'main',
      cache: new ApprovalCache(),
      log,
      load,
      firstParent: (c) => mirror.firstParent(c),
      merges: new GitMergeEffects(mirror),
    };
  }

  /** The text of `path` on main with `edits` applied. */
  async function edited(edits: readonly Edit[]): Promise<Edits> {
    const out: Record<string, string> = {};
    for (const [path, from, to] of edits) {
      const text = out[path] ?? (await repo.git.show([`main:${path}`]));
      if (!text.includes(from)) throw new Error(`${path} has no ${JSON.stringify(from)}`);
      out[path] = text.replace(from, to);
    }
    return out;
  }

  /** Pushes `edits` straight to main. */
  async function directPush(...edits: Edit[]): Promise<string> {
    for (const [path, from, to] of edits) await repo.edit(path, from, to);
    return repo.commit('pushed without review');
  }

  /** Makes the pull request in git (branch, then merge or squash) and on GitHub (pull, reviews). */
  async function pull(plan: PullPlan): Promise<string> {
    const branch = `change-${plan.number}`;
    const shas = await pushBranch(repo, branch);
    for (const edits of plan.commits) {
      await repo.git.checkout(branch);
      for (const [path, from, to] of edits) await repo.edit(path, from, to);
      shas.push(await repo.commit(`${branch}: change`));
      await repo.git.checkout('main');
    }
    const head = shas.at(-1)!;
    const smuggle = await edited(plan.smuggle ?? []);
    const merge = plan.how === 'merge' ? mergeCommit : squashCommit;
    const commit = await merge(repo, branch, { number: plan.number, smuggle });
    server.state.addPull(REPO, {
      number: plan.number,
      user: plan.author ?? 'alice',
      head: { ref: branch, sha: head },
      commits: shas.slice(0, -1),
      merge_commit_sha: commit,
      merged_at: '2026-11-23T10:00:00Z',
    });
    if (plan.headAccounts) server.state.setCommitAccounts(REPO, head, plan.headAccounts);
    plan.reviews.forEach(([user, reviewState, on], i) =>
      server.state.addReview(REPO, plan.number, {
        user,
        state: reviewState,
        commit_id: on === 'earlier' ? shas[0]! : head,
        submitted_at: `2026-11-23T09:0${i}:00Z`,
      }),
    );
    return commit;
  }

  it.each<[string, () => Promise<unknown>, RegExp | 'allowed']>([
    // The bypasses closed.
    [
      'an approval of an earlier commit, the pull request then pushed to with more rings',
      () =>
        pull({
          number: 7,
          commits: [[EARLY_UP], [STABLE_UP]],
          how: 'merge',
          reviews: [
            ['bob', 'APPROVED', 'earlier'],
            ['sam', 'APPROVED', 'earlier'],
          ],
        }),
      /^ring early needs 1 approval incl\. @test\/release; has 0; ring stable needs 2 approvals incl\. @test\/sre; has 0; not counted: bob \(earlier/,
    ],
    [
      'a second approval from an account without write access',
      () =>
        pull({
          number: 7,
          commits: [[STABLE_UP]],
          how: 'merge',
          reviews: [
            ['sam', 'APPROVED'],
            ['mallory', 'APPROVED'],
          ],
        }),
      /^ring stable needs 2 approvals incl\. @test\/sre; has 1 \(sam\); not counted: mallory \(no write access\)/,
    ],
    [
      'a second approval from whoever pushed the last commit',
      () =>
        pull({
          number: 7,
          commits: [[STABLE_UP]],
          how: 'merge',
          reviews: [
            ['sam', 'APPROVED'],
            ['carl', 'APPROVED'],
          ],
          headAccounts: { author: 'alice', committer: 'carl' },
        }),
      /^ring stable needs 2 approvals incl\. @test\/sre; has 1 \(sam\); not counted: carl \(pushed the head\)/,
    ],
    [
      'a merge commit carrying a change its pull request did not make',
      () =>
        pull({
          number: 7,
          commits: [[EARLY_UP]],
          how: 'merge',
          reviews: [['bob', 'APPROVED']],
          smuggle: [EARLY_TENANT],
        }),
      /is not what merging #7 \(head [0-9a-f]{7}\) produces: it differs in groups\/shared-1\.yaml$/,
    ],
    [
      'a squash commit carrying a change its pull request did not make',
      () =>
        pull({
          number: 7,
          commits: [[EARLY_TENANT]],
          how: 'squash',
          reviews: [['bob', 'APPROVED']],
          smuggle: [EARLY_UP],
        }),
      /is not what merging #7 \(head [0-9a-f]{7}\) produces: it differs in groups\/rings\.yaml$/,
    ],
    // The rules that held before and hold still.
    [
      'a direct push to a guarded ring',
      () => directPush(EARLY_UP),
      /without a merged pull request; ring early needs one$/,
    ],
    [
      "the pull request author's own approval",
      () => pull({ number: 7, commits: [[EARLY_UP]], how: 'merge', reviews: [['alice', 'APPROVED']] }),
      /^ring early needs 1 approval incl\. @test\/release; has 0$/,
    ],
    [
      'a standing change request from a listed reviewer',
      () =>
        pull({
          number: 7,
          commits: [[EARLY_UP]],
          how: 'merge',
          reviews: [
            ['bob', 'APPROVED'],
            ['carol', 'CHANGES_REQUESTED'],
          ],
        }),
      /^ring early: changes requested by carol$/,
    ],
    [
      'an approval from outside the listed reviewers',
      () => pull({ number: 7, commits: [[EARLY_UP]], how: 'merge', reviews: [['dave', 'APPROVED']] }),
      /^ring early needs 1 approval incl\. @test\/release; has 1 \(dave\)$/,
    ],
    [
      'a policy change judged by the policy of the followed head',
      () =>
        pull({
          number: 7,
          commits: [[STABLE_ONE_APPROVAL, STABLE_UP]],
          how: 'merge',
          reviews: [['sam', 'APPROVED']],
        }),
      /ring stable needs 2 approvals incl\. @test\/sre; has 1 \(sam\)/,
    ],
    ['a direct push to a directPush ring', () => directPush(CANARY_TENANT), 'allowed'],
    [
      'a direct push undone by a reviewed revert',
      async () => {
        await directPush(EARLY_UP);
        const [path, from, to] = EARLY_UP;
        await pull({
          number: 8,
          commits: [[[path, to, from]]],
          how: 'merge',
          reviews: [['bob', 'APPROVED']],
        });
      },
      'allowed',
    ],
    [
      'an approved merge commit',
      () =>
        pull({
          number: 7,
          commits: [[EARLY_UP], [EARLY_TENANT]],
          how: 'merge',
          reviews: [['bob', 'APPROVED']],
        }),
      'allowed',
    ],
    [
      'an approved squash commit, its head read from refs/pull/7/head',
      () =>
        pull({
          number: 7,
          commits: [[STABLE_UP]],
          how: 'squash',
          reviews: [
            ['sam', 'APPROVED'],
            ['bob', 'APPROVED'],
          ],
          headAccounts: { author: 'alice', committer: 'web-flow' },
        }),
      'allowed',
    ],
  ])('%s', async (_name, arrange, expected) => {
    await arrange();
    const fetched = await mirror.fetch();
    // Every row ends on a desired state that validates: the gate passes one that does not (it is refused elsewhere).
    expect(await load(fetched.head)).toBeDefined();
    const verdict = await judgeNewCommits(deps(), followed, fetched.commits);
    if (expected === 'allowed') expect(verdict).toEqual({ allowed: true });
    else expect(verdict).toMatchObject({ allowed: false, reason: expect.stringMatching(expected) });
  });
});
