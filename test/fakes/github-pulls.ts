/**
 * Pull request, review, comment and label endpoints of the fake. Test code only.
 *
 * The duplicate-PR error body follows GitHub's answers quoted in
 * github/VisualStudio#453 and vsoch/pull-request-action#86; the commit -> pulls
 * rule follows the endpoint's description in GitHub's OpenAPI document ("the merged
 * pull request that introduced the commit"; open and merged ones when the commit is
 * not on the default branch; a branch name lists that branch's pull requests).
 */
import {
  type ApiContext,
  type ApiRequest,
  type Reply,
  fields,
  noCommit,
  notFound,
  paginate,
  resolveRef,
  validationFailed,
} from './github-api.js';
import {
  DOCS,
  commentJson,
  fullPullJson,
  labelJson,
  pullCommitJson,
  pullJson,
  reviewJson,
} from './github-shapes.js';
import { type FakePull, isoSeconds } from './github-state.js';

/**
 * GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls: a merged pull request is found
 * by its merge commit, its own commits, and the commits a rebase merge wrote
 * (`associated`).
 */
export function commitPulls(ctx: ApiContext, req: ApiRequest): Reply {
  const ref = req.params.sha ?? '';
  const pulls = [...req.repo.pulls.values()];
  let found: FakePull[];
  if (req.repo.branches.has(ref) && !req.repo.commits.has(ref)) {
    found = pulls.filter((p) => p.head.ref === ref && (p.state === 'open' || p.merged_at));
  } else {
    const sha = resolveRef(ctx, req.repo, ref);
    if (!sha) return noCommit(ref, DOCS.commitPulls);
    const contains = (p: FakePull) => p.head.sha === sha || p.commits.includes(sha);
    const credited = (p: FakePull) => p.merge_commit_sha === sha || p.associated.includes(sha) || contains(p);
    const introduced = pulls.filter((p) => p.merged_at && credited(p));
    found = introduced.length ? introduced : pulls.filter((p) => p.state === 'open' && contains(p));
  }
  found.sort((a, b) => b.number - a.number);
  const { page, headers } = paginate(found, req.url);
  return { status: 200, body: page.map((p) => pullJson(ctx.urls, req.repo, p)), headers };
}

/** GET /repos/{owner}/{repo}/pulls/{pull_number}. */
export function getPull(ctx: ApiContext, req: ApiRequest): Reply {
  const pull = req.repo.pulls.get(Number(req.params.number));
  if (!pull) return notFound(DOCS.getPull);
  return { status: 200, body: fullPullJson(ctx.urls, req.repo, pull) };
}

/**
 * GET /repos/{owner}/{repo}/pulls: filters `state` (open by default, closed, all),
 * `head` (`owner:branch`, or a bare branch), `base`; sorted by `sort`
 * (created by default, or updated) in `direction` (desc by default).
 */
export function listPulls(ctx: ApiContext, req: ApiRequest): Reply {
  const q = req.url.searchParams;
  const state = q.get('state') ?? 'open';
  const head = q.get('head');
  const base = q.get('base');
  const sortKey = q.get('sort') === 'updated' ? 'updated_at' : 'created_at';
  const sign = q.get('direction') === 'asc' ? 1 : -1;
  const found = [...req.repo.pulls.values()]
    .filter((p) => state === 'all' || p.state === state)
    .filter((p) => !head || matchesHead(p, head))
    .filter((p) => !base || p.base.ref === base)
    .sort((a, b) => sign * (a[sortKey].localeCompare(b[sortKey]) || a.number - b.number));
  const { page, headers } = paginate(found, req.url);
  return { status: 200, body: page.map((p) => pullJson(ctx.urls, req.repo, p)), headers };
}

/**
 * POST /repos/{owner}/{repo}/pulls: the head branch must be a seeded branch of this
 * repository, the base too; one open pull request per (head, base).
 */
export function createPull(ctx: ApiContext, req: ApiRequest): Reply {
  const body = fields(req.body);
  const missing = (['title', 'head', 'base'] as const).filter((f) => typeof body[f] !== 'string' || !body[f]);
  if (missing.length) {
    const errors = missing.map((field) => ({
      resource: 'PullRequest',
      code: 'missing_field' as const,
      field,
    }));
    return validationFailed(errors, DOCS.createPull);
  }
  const [title, headSpec, baseRef] = [String(body.title), String(body.head), String(body.base)];
  const colon = headSpec.indexOf(':');
  const headOwner = colon >= 0 ? headSpec.slice(0, colon) : req.repo.owner;
  const headRef = colon >= 0 ? headSpec.slice(colon + 1) : headSpec;
  const headSha = req.repo.branches.get(headRef);
  const baseSha = req.repo.branches.get(baseRef);
  const invalid = [
    ...(headSha ? [] : [{ resource: 'PullRequest', code: 'invalid' as const, field: 'head' }]),
    ...(baseSha ? [] : [{ resource: 'PullRequest', code: 'invalid' as const, field: 'base' }]),
  ];
  if (!headSha || !baseSha) return validationFailed(invalid, DOCS.createPull);
  const open = [...req.repo.pulls.values()].find(
    (p) =>
      p.state === 'open' &&
      p.base.ref === baseRef &&
      p.head.ref === headRef &&
      sameLogin(p.head.owner, headOwner),
  );
  if (open) {
    const message = `A pull request already exists for ${headOwner}:${headRef}.`;
    return validationFailed([{ resource: 'PullRequest', code: 'custom', message }], DOCS.createPull);
  }
  if (headSha === baseSha) {
    const message = `No commits between ${baseRef} and ${headRef}`;
    return validationFailed([{ resource: 'PullRequest', code: 'custom', message }], DOCS.createPull);
  }
  const pull = ctx.state.addPull(`${req.repo.owner}/${req.repo.name}`, {
    title,
    body: typeof body.body === 'string' ? body.body : null,
    draft: body.draft === true,
    user: ctx.state.viewer.login,
    head: { owner: headOwner, ref: headRef, sha: headSha },
    base: { ref: baseRef, sha: baseSha },
  });
  const json = fullPullJson(ctx.urls, req.repo, pull);
  return { status: 201, body: json, headers: { location: json.url } };
}

/** GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews: chronological order. */
export function listReviews(ctx: ApiContext, req: ApiRequest): Reply {
  const number = Number(req.params.number);
  if (!req.repo.pulls.has(number)) return notFound(DOCS.getPull);
  const reviews = req.repo.reviews
    .filter((r) => r.pull_number === number)
    .sort((a, b) => a.submitted_at.localeCompare(b.submitted_at) || a.id - b.id);
  const { page, headers } = paginate(reviews, req.url);
  return { status: 200, body: page.map((r) => reviewJson(ctx.urls, req.repo, r)), headers };
}

/**
 * GET /repos/{owner}/{repo}/pulls/{pull_number}/commits: the seeded `commits`, then
 * the head, oldest first; like GitHub, at most 250 commits whatever the paging. Each
 * names the accounts seeded with `setCommitAccounts` as `author` and `committer`.
 */
export function listPullCommits(ctx: ApiContext, req: ApiRequest): Reply {
  const pull = req.repo.pulls.get(Number(req.params.number));
  if (!pull) return notFound(DOCS.pullCommits);
  const shas = [...new Set([...pull.commits, pull.head.sha])].slice(0, MAX_PULL_COMMITS);
  const { page, headers } = paginate(shas, req.url);
  const users = (sha: string) => {
    const { author, committer } = req.repo.commitAccounts.get(sha) ?? {};
    return {
      ...(author === undefined ? {} : { author: ctx.state.user(author) }),
      ...(committer === undefined ? {} : { committer: ctx.state.user(committer) }),
    };
  };
  const body = page.map((sha) => pullCommitJson(ctx.urls, req.repo, sha, users(sha)));
  return { status: 200, body, headers };
}

/** GitHub's documented cap of the pull request commits list. */
const MAX_PULL_COMMITS = 250;

/** POST /repos/{owner}/{repo}/issues/{issue_number}/comments. */
export function createComment(ctx: ApiContext, req: ApiRequest): Reply {
  const number = Number(req.params.number);
  if (!hasIssue(req, number)) return notFound(DOCS.createComment);
  const body = fields(req.body).body;
  if (typeof body !== 'string' || body === '') {
    return validationFailed(
      [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }],
      DOCS.createComment,
    );
  }
  const comment = {
    id: ctx.state.id(),
    issue_number: number,
    body,
    user: ctx.state.viewer,
    created_at: isoSeconds(ctx.state.now()),
  };
  req.repo.comments.push(comment);
  return { status: 201, body: commentJson(ctx.urls, req.repo, comment) };
}

/**
 * POST /repos/{owner}/{repo}/issues/{issue_number}/labels: body `{ labels: [...] }`
 * (names or `{ name }`) or a bare array; answers 200 with all labels of the issue.
 */
export function addLabels(ctx: ApiContext, req: ApiRequest): Reply {
  const number = Number(req.params.number);
  if (!hasIssue(req, number)) return notFound(DOCS.addLabels);
  const raw = Array.isArray(req.body) ? req.body : fields(req.body).labels;
  const names = Array.isArray(raw)
    ? raw.map((l: unknown) => (typeof l === 'string' ? l : String(fields(l).name ?? ''))).filter(Boolean)
    : [];
  if (!names.length) {
    return validationFailed([{ resource: 'Label', code: 'missing_field', field: 'labels' }], DOCS.addLabels);
  }
  const current = req.repo.labels.get(number) ?? [];
  for (const name of names) if (!current.includes(name)) current.push(name);
  req.repo.labels.set(number, current);
  return { status: 200, body: current.map((name) => labelJson(ctx.urls, req.repo, name)) };
}

function matchesHead(p: FakePull, head: string): boolean {
  const colon = head.indexOf(':');
  if (colon < 0) return p.head.ref === head;
  return sameLogin(p.head.owner, head.slice(0, colon)) && p.head.ref === head.slice(colon + 1);
}

function sameLogin(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function hasIssue(req: ApiRequest, number: number): boolean {
  return req.repo.pulls.has(number) || req.repo.issues.has(number);
}
