/**
 * In-memory state behind the local GitHub REST API server (test code only): the
 * repositories, commits, branches, commit statuses, pull requests, reviews,
 * comments, labels, team memberships, repository roles and commit accounts that tests seed and
 * inspect. No HTTP and no rules here; the
 * rules live in `github-rules.ts`, the wire in `github-server.ts`.
 */

/** A GitHub account as the fake renders it in `user` and `creator` fields. */
export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

/** One commit status as stored; GitHub appends one per write and never updates in place. */
export interface StoredStatus {
  id: number;
  sha: string;
  state: StatusState;
  description: string | null;
  target_url: string | null;
  context: string;
  created_at: string;
  updated_at: string;
  creator: FakeUser;
}

/** The four states GitHub accepts for a commit status. */
export const STATUS_STATES = ['error', 'failure', 'pending', 'success'] as const;
export type StatusState = (typeof STATUS_STATES)[number];

/** A pull request as stored; `head.owner` is the login part of the `owner:branch` label. */
export interface FakePull {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  user: FakeUser;
  head: { owner: string; ref: string; sha: string };
  base: { ref: string; sha: string };
  /** Commits of the pull request besides `head.sha` (for the commit -> pulls lookup). */
  commits: string[];
  /** Commits GitHub credits to the merged pull request besides its own: those a rebase merge wrote on the base. */
  associated: string[];
  merge_commit_sha: string | null;
  merged_at: string | null;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
}

/** What a test gives to seed a pull request; everything but `head` has a default. */
export interface PullSeed {
  number?: number;
  title?: string;
  body?: string | null;
  state?: 'open' | 'closed';
  draft?: boolean;
  /** Author login; default `octocat`. */
  user?: string;
  head: { ref: string; sha: string; owner?: string };
  /** Base branch; `sha` defaults to the seeded branch head, else 40 zeros. */
  base?: { ref: string; sha?: string };
  commits?: string[];
  /** Commits a rebase merge wrote on the base branch, credited to the pull request but not among its commits. */
  associated?: string[];
  merge_commit_sha?: string | null;
  /** Setting this marks the pull request merged (and closed). */
  merged_at?: string | null;
  created_at?: string;
  labels?: string[];
}

/** A submitted pull request review. */
export interface FakeReview {
  id: number;
  pull_number: number;
  user: FakeUser;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  body: string;
  submitted_at: string;
  commit_id: string | null;
}

/** What a test gives to seed a review; `submitted_at` defaults to now, `commit_id` to the head sha. */
export interface ReviewSeed {
  user: string;
  state: FakeReview['state'];
  body?: string;
  submitted_at?: string;
  commit_id?: string | null;
}

/** A team membership's state: `pending` until the invited person accepts. */
export type TeamMembershipState = 'active' | 'pending';

/** GitHub's base repository roles, strongest first. */
export const REPO_ROLES = ['admin', 'maintain', 'write', 'triage', 'read'] as const;
export type RepoRole = (typeof REPO_ROLES)[number];

/** A role to seed: a base role, or a custom role named with the base role it inherits (GitHub's custom roles). */
export type RoleSeed = RepoRole | { readonly name: string; readonly base: RepoRole };

/** The GitHub accounts a commit is attributed to; absent when its e-mail is linked to no account. */
export interface CommitAccounts {
  author?: string;
  committer?: string;
}

/** An issue (or pull request) comment created through the API. */
export interface FakeComment {
  id: number;
  issue_number: number;
  body: string;
  user: FakeUser;
  created_at: string;
}

/** One repository; look it up with `GitHubState.getRepo` or create it with `GitHubState.repo`. */
export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  commits: Set<string>;
  branches: Map<string, string>;
  /** Every status ever written, oldest first. */
  statuses: StoredStatus[];
  pulls: Map<number, FakePull>;
  reviews: FakeReview[];
  comments: FakeComment[];
  /** Numbers of seeded plain issues (pull requests are issues too). */
  issues: Set<number>;
  /** Label names per issue or pull request number, in the order added. */
  labels: Map<number, string[]>;
  /** Collaborators' roles by login (lower case); a login absent here has no access of its own. */
  roles: Map<string, RoleSeed>;
  /** The accounts commits are attributed to, by sha. */
  commitAccounts: Map<string, CommitAccounts>;
}

const ZERO_SHA = '0'.repeat(40);

/** Formats a clock reading the way GitHub does: ISO 8601 in UTC without milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The in-memory world; ids are shared across repositories like GitHub's global ids. */
export class GitHubState {
  private readonly repos = new Map<string, FakeRepo>();
  /** Memberships by `org/team` (lower case), then by login (lower case). */
  private readonly teams = new Map<string, Map<string, TeamMembershipState>>();
  /** Logins (lower case) of accounts that do not exist: GitHub answers 404 for them. */
  private readonly deleted = new Set<string>();
  private nextId = 1;

  /**
   * @param now clock in epoch milliseconds, used for every timestamp
   * @param viewer the authenticated account: creator of statuses, pull requests and comments
   */
  constructor(
    readonly now: () => number,
    readonly viewer: FakeUser,
  ) {}

  /** A fresh global id. */
  id(): number {
    return this.nextId++;
  }

  /** An account with a stable id per login. */
  user(login: string): FakeUser {
    if (login === this.viewer.login) return this.viewer;
    let hash = 0;
    for (const ch of login) hash = (hash * 31 + ch.charCodeAt(0)) % 1_000_000;
    return { login, id: 1_000_000 + hash, type: login.endsWith('[bot]') ? 'Bot' : 'User' };
  }

  /** The repository `owner/name` (case-insensitive, like GitHub), or undefined when never seeded. */
  getRepo(owner: string, name: string): FakeRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  /** Gets or creates the repository `owner/name`. */
  repo(fullName: string): FakeRepo {
    const [owner, name, extra] = fullName.split('/');
    if (!owner || !name || extra !== undefined)
      throw new Error(`repository must be owner/name, got ${fullName}`);
    const key = fullName.toLowerCase();
    let repo = this.repos.get(key);
    if (!repo) {
      repo = {
        id: this.id(),
        owner,
        name,
        defaultBranch: 'main',
        commits: new Set(),
        branches: new Map(),
        statuses: [],
        pulls: new Map(),
        reviews: [],
        comments: [],
        issues: new Set(),
        labels: new Map(),
        roles: new Map(),
        commitAccounts: new Map(),
      };
      this.repos.set(key, repo);
    }
    return repo;
  }

  /** Makes commits known, so statuses can be written on them. */
  addCommit(fullName: string, ...shas: string[]): void {
    const repo = this.repo(fullName);
    for (const sha of shas) repo.commits.add(sha);
  }

  /** Points a branch at a commit (and makes the commit known). */
  setBranch(fullName: string, branch: string, sha: string): void {
    const repo = this.repo(fullName);
    repo.commits.add(sha);
    repo.branches.set(branch, sha);
  }

  /** Seeds a pull request; its head, merge and listed commits become known commits. */
  addPull(fullName: string, seed: PullSeed): FakePull {
    const repo = this.repo(fullName);
    const number = seed.number ?? this.nextIssueNumber(repo);
    const created = seed.created_at ?? isoSeconds(this.now());
    const merged = seed.merged_at ?? null;
    const state = merged ? 'closed' : (seed.state ?? 'open');
    const baseRef = seed.base?.ref ?? repo.defaultBranch;
    const pull: FakePull = {
      id: this.id(),
      number,
      title: seed.title ?? `Pull request ${number}`,
      body: seed.body ?? null,
      state,
      draft: seed.draft ?? false,
      user: this.user(seed.user ?? 'octocat'),
      head: { owner: seed.head.owner ?? repo.owner, ref: seed.head.ref, sha: seed.head.sha },
      base: { ref: baseRef, sha: seed.base?.sha ?? repo.branches.get(baseRef) ?? ZERO_SHA },
      commits: seed.commits ?? [],
      associated: seed.associated ?? [],
      merge_commit_sha: seed.merge_commit_sha ?? null,
      merged_at: merged,
      closed_at: state === 'closed' ? (merged ?? created) : null,
      created_at: created,
      updated_at: merged ?? created,
    };
    repo.pulls.set(number, pull);
    if (seed.labels?.length) repo.labels.set(number, [...seed.labels]);
    for (const sha of [pull.head.sha, ...pull.commits, ...pull.associated, pull.merge_commit_sha])
      if (sha) repo.commits.add(sha);
    return pull;
  }

  /** Seeds a submitted review on an existing pull request. */
  addReview(fullName: string, pullNumber: number, seed: ReviewSeed): FakeReview {
    const repo = this.repo(fullName);
    const pull = repo.pulls.get(pullNumber);
    if (!pull) throw new Error(`no pull request #${pullNumber} in ${fullName}`);
    const review: FakeReview = {
      id: this.id(),
      pull_number: pullNumber,
      user: this.user(seed.user),
      state: seed.state,
      body: seed.body ?? '',
      submitted_at: seed.submitted_at ?? isoSeconds(this.now()),
      commit_id: seed.commit_id === undefined ? pull.head.sha : seed.commit_id,
    };
    repo.reviews.push(review);
    return review;
  }

  /** Seeds a plain issue number, so comments and labels can target it. */
  addIssue(fullName: string, number?: number): number {
    const repo = this.repo(fullName);
    const n = number ?? this.nextIssueNumber(repo);
    repo.issues.add(n);
    return n;
  }

  /** Makes `login` a member of the team `org/team` (its slug); `pending` models an unaccepted invitation. */
  addTeamMember(org: string, team: string, login: string, state: TeamMembershipState = 'active'): void {
    const key = `${org}/${team}`.toLowerCase();
    const members = this.teams.get(key) ?? new Map<string, TeamMembershipState>();
    members.set(login.toLowerCase(), state);
    this.teams.set(key, members);
  }

  /** The membership of `login` in `org/team` (case-insensitive, like GitHub), or undefined when none. */
  teamMembership(org: string, team: string, login: string): TeamMembershipState | undefined {
    return this.teams.get(`${org}/${team}`.toLowerCase())?.get(login.toLowerCase());
  }

  /** Gives `login` the role `role` on the repository (case-insensitive, like GitHub), replacing any other. */
  setRole(fullName: string, login: string, role: RoleSeed): void {
    this.repo(fullName).roles.set(login.toLowerCase(), role);
  }

  /** Gives each login write access to the repository: what an approval needs to count. */
  grantWrite(fullName: string, ...logins: string[]): void {
    for (const login of logins) this.setRole(fullName, login, 'write');
  }

  /** The role of `login` on the repository, or undefined when it has none. */
  roleOf(fullName: string, login: string): RoleSeed | undefined {
    return this.repo(fullName).roles.get(login.toLowerCase());
  }

  /** Makes `login` name no account, as after the account was deleted: user lookups answer 404. */
  deleteAccount(login: string): void {
    this.deleted.add(login.toLowerCase());
  }

  /** Whether `login` names an account; every login does unless deleted. */
  accountExists(login: string): boolean {
    return !this.deleted.has(login.toLowerCase());
  }

  /** Attributes a commit to accounts (its author and committer, as GitHub links them by e-mail) and makes it known. */
  setCommitAccounts(fullName: string, sha: string, accounts: CommitAccounts): void {
    const repo = this.repo(fullName);
    repo.commits.add(sha);
    repo.commitAccounts.set(sha, { ...accounts });
  }

  /** Statuses written on a repository, oldest first; only those of `sha` when given. */
  statusesOf(fullName: string, sha?: string): StoredStatus[] {
    const all = this.repo(fullName).statuses;
    return sha ? all.filter((s) => s.sha === sha) : [...all];
  }

  /** The next free issue/pull request number (they share one sequence on GitHub). */
  nextIssueNumber(repo: FakeRepo): number {
    return Math.max(0, ...repo.pulls.keys(), ...repo.issues) + 1;
  }
}
