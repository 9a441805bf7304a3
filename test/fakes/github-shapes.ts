/**
 * JSON renderings of the fake's objects in GitHub's REST shapes (the fields of
 * `@octokit/openapi-types` schemas `status`, `simple-commit-status`,
 * `combined-commit-status`, `pull-request-simple`, `pull-request`,
 * `pull-request-review`, `issue-comment`, `label`, `commit`,
 * `team-membership` and `repository-collaborator-permission`), narrowed to what a
 * client can reasonably read. Test code only.
 */
import type { FakeComment, FakePull, FakeRepo, FakeReview, FakeUser, StoredStatus } from './github-state.js';

/** Where rendered `url` and `html_url` fields point. */
export interface Urls {
  /** The server's own base URL (what Octokit gets as `baseUrl`). */
  api: string;
  /** The web UI base, `https://github.com` unless configured. */
  html: string;
}

/** GitHub's documentation links, as sent in error bodies. */
export const DOCS = {
  createStatus: 'https://docs.github.com/rest/commits/statuses#create-a-commit-status',
  listStatuses: 'https://docs.github.com/rest/commits/statuses#list-commit-statuses-for-a-reference',
  combinedStatus:
    'https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference',
  commitPulls: 'https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit',
  createPull: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
  getPull: 'https://docs.github.com/rest/pulls/pulls#get-a-pull-request',
  pullCommits: 'https://docs.github.com/rest/pulls/pulls#list-commits-on-a-pull-request',
  teamMembership: 'https://docs.github.com/rest/teams/members#get-team-membership-for-a-user',
  createComment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
  addLabels: 'https://docs.github.com/rest/issues/labels#add-labels-to-an-issue',
  rest: 'https://docs.github.com/rest',
  primaryLimit: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
  secondaryLimit:
    'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
} as const;

/** A `simple-user`. */
export function userJson(urls: Urls, user: FakeUser) {
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId('U', user.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    url: `${urls.api}/users/${encodeURIComponent(user.login)}`,
    html_url: `${urls.html}/${encodeURIComponent(user.login)}`,
    type: user.type,
    site_admin: false,
  };
}

/** A `minimal-repository`, narrowed. */
export function repoJson(urls: Urls, repo: FakeRepo) {
  const full = `${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: full,
    private: false,
    owner: { login: repo.owner },
    html_url: `${urls.html}/${full}`,
    url: `${urls.api}/repos/${full}`,
    default_branch: repo.defaultBranch,
  };
}

/** A `simple-commit-status` (the combined view's entries: no `creator`). */
export function simpleStatusJson(urls: Urls, repo: FakeRepo, s: StoredStatus) {
  return {
    url: `${urls.api}/repos/${repo.owner}/${repo.name}/statuses/${s.sha}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${s.creator.id}?v=4`,
    id: s.id,
    node_id: nodeId('SC', s.id),
    state: s.state,
    description: s.description,
    target_url: s.target_url,
    context: s.context,
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

/** A `status`, as returned by create and list. */
export function statusJson(urls: Urls, repo: FakeRepo, s: StoredStatus) {
  return { ...simpleStatusJson(urls, repo, s), creator: userJson(urls, s.creator) };
}

/** A `pull-request-simple` (list and commit -> pulls). */
export function pullJson(urls: Urls, repo: FakeRepo, p: FakePull) {
  const full = `${repo.owner}/${repo.name}`;
  const api = `${urls.api}/repos/${full}`;
  return {
    url: `${api}/pulls/${p.number}`,
    id: p.id,
    node_id: nodeId('PR', p.id),
    html_url: `${urls.html}/${full}/pull/${p.number}`,
    issue_url: `${api}/issues/${p.number}`,
    statuses_url: `${api}/statuses/${p.head.sha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: userJson(urls, p.user),
    body: p.body,
    labels: (repo.labels.get(p.number) ?? []).map((name) => labelJson(urls, repo, name)),
    created_at: p.created_at,
    updated_at: p.updated_at,
    closed_at: p.closed_at,
    merged_at: p.merged_at,
    merge_commit_sha: p.merge_commit_sha,
    draft: p.draft,
    head: {
      label: `${p.head.owner}:${p.head.ref}`,
      ref: p.head.ref,
      sha: p.head.sha,
      user: { login: p.head.owner },
      repo: repoJson(urls, repo),
    },
    base: {
      label: `${repo.owner}:${p.base.ref}`,
      ref: p.base.ref,
      sha: p.base.sha,
      user: { login: repo.owner },
      repo: repoJson(urls, repo),
    },
    author_association: 'MEMBER',
  };
}

/** A `pull-request` (get one, create): the simple shape plus `merged` and friends. */
export function fullPullJson(urls: Urls, repo: FakeRepo, p: FakePull) {
  return {
    ...pullJson(urls, repo, p),
    merged: p.merged_at !== null,
    mergeable: p.state === 'open' ? true : null,
    comments: repo.comments.filter((c) => c.issue_number === p.number).length,
    commits: 1 + p.commits.length,
  };
}

/** A `pull-request-review`. */
export function reviewJson(urls: Urls, repo: FakeRepo, r: FakeReview) {
  const full = `${repo.owner}/${repo.name}`;
  const html = `${urls.html}/${full}/pull/${r.pull_number}#pullrequestreview-${r.id}`;
  const pullUrl = `${urls.api}/repos/${full}/pulls/${r.pull_number}`;
  return {
    id: r.id,
    node_id: nodeId('PRR', r.id),
    user: userJson(urls, r.user),
    body: r.body,
    state: r.state,
    html_url: html,
    pull_request_url: pullUrl,
    _links: { html: { href: html }, pull_request: { href: pullUrl } },
    submitted_at: r.submitted_at,
    commit_id: r.commit_id,
    author_association: 'MEMBER',
  };
}

/**
 * A `commit` as listed on a pull request, narrowed: the fake knows shas and the accounts
 * seeded for them, not their content. `author` and `committer` are the linked GitHub
 * accounts, null when none is (an e-mail linked to no account).
 */
export function pullCommitJson(urls: Urls, repo: FakeRepo, sha: string, accounts: CommitUsers = {}) {
  const full = `${repo.owner}/${repo.name}`;
  const account = (user: FakeUser | undefined) => (user === undefined ? null : userJson(urls, user));
  return {
    sha,
    node_id: `C_fake${sha.slice(0, 12)}`,
    url: `${urls.api}/repos/${full}/commits/${sha}`,
    html_url: `${urls.html}/${full}/commit/${sha}`,
    commit: {
      url: `${urls.api}/repos/${full}/git/commits/${sha}`,
      message: `Commit ${sha.slice(0, 7)}`,
      comment_count: 0,
    },
    author: account(accounts.author),
    committer: account(accounts.committer),
    parents: [],
  };
}

/** The accounts of a commit, resolved. */
export interface CommitUsers {
  author?: FakeUser;
  committer?: FakeUser;
}

/** A `repository-collaborator-permission`: the legacy `permission` and the `role_name`. */
export function collaboratorPermissionJson(urls: Urls, user: FakeUser, permission: string, roleName: string) {
  return { permission, role_name: roleName, user: { ...userJson(urls, user), role_name: roleName } };
}

/** A `team-membership`. */
export function teamMembershipJson(urls: Urls, org: string, team: string, login: string, state: string) {
  const path = [org, 'teams', team, 'memberships', login].map(encodeURIComponent).join('/');
  return { url: `${urls.api}/orgs/${path}`, role: 'member', state };
}

/** An `issue-comment`. */
export function commentJson(urls: Urls, repo: FakeRepo, c: FakeComment) {
  const full = `${repo.owner}/${repo.name}`;
  return {
    id: c.id,
    node_id: nodeId('IC', c.id),
    url: `${urls.api}/repos/${full}/issues/comments/${c.id}`,
    html_url: `${urls.html}/${full}/issues/${c.issue_number}#issuecomment-${c.id}`,
    issue_url: `${urls.api}/repos/${full}/issues/${c.issue_number}`,
    body: c.body,
    user: userJson(urls, c.user),
    created_at: c.created_at,
    updated_at: c.created_at,
    author_association: 'MEMBER',
  };
}

/** A `label`; GitHub gives labels created on the fly the colour `ededed`. */
export function labelJson(urls: Urls, repo: FakeRepo, name: string) {
  let id = 0;
  for (const ch of `${repo.id}/${name}`) id = (id * 33 + ch.charCodeAt(0)) % 1_000_000_007;
  return {
    id,
    node_id: nodeId('LA', id),
    url: `${urls.api}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(name)}`,
    name,
    description: null,
    color: 'ededed',
    default: false,
  };
}

function nodeId(prefix: string, id: number): string {
  return `${prefix}_fake${Buffer.from(String(id)).toString('base64url')}`;
}
