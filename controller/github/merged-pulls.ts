/**
 * Which merged pull requests brought a commit to the tracked branch, as GitHub
 * lists them, narrowed to what the approval verdict uses.
 */
import type { GitHubClient } from './client.js';
import { type CallTarget, callGitHub } from './github-calls.js';

/** What the lookup needs. */
export interface PullQuery extends CallTarget {
  readonly client: GitHubClient;
  /** The branch the pull request must have been merged into. */
  readonly branch: string;
}

/** A merged pull request, narrowed to what the verdict uses. */
export interface PullFacts {
  readonly number: number;
  readonly author: string;
  readonly url: string;
  /** The pull request's final head: the head sha GitHub lists for it once merged. */
  readonly head: string;
}

/**
 * Merged pull requests into the branch that brought the commit: those whose merge
 * (or squash) commit it is, else those among whose commits it is. Throws like
 * `callGitHub` (the first call notices a wrong repository or an unknown commit).
 */
export async function findMergedPulls(q: PullQuery): Promise<PullFacts[]> {
  const { client, repo, commit } = q;
  const listed = await callGitHub(q, 'ListPullRequestsAssociatedWithCommit', true, () =>
    client.paginate(client.rest.repos.listPullRequestsAssociatedWithCommit, {
      ...repo,
      commit_sha: commit,
      per_page: 100,
    }),
  );
  const merged = listed.filter((p) => p.merged_at && p.base.ref === q.branch);
  const facts = (p: (typeof merged)[number]): PullFacts => ({
    number: p.number,
    author: p.user?.login ?? '',
    url: p.html_url,
    head: p.head.sha,
  });
  const byMerge = merged.filter((p) => p.merge_commit_sha === commit);
  if (byMerge.length) return byMerge.map(facts);
  const found: PullFacts[] = [];
  for (const p of merged) {
    // A rebase merge or a fast-forward push puts the pull request's own commits on the branch.
    const commits = await callGitHub(q, `ListCommitsOfPullRequest #${p.number}`, false, () =>
      client.paginate(client.rest.pulls.listCommits, { ...repo, pull_number: p.number, per_page: 100 }),
    );
    if (commits.some((c) => c.sha === commit)) found.push(facts(p));
  }
  return found;
}
