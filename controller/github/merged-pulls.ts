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
  /**
   * The accounts GitHub links to the head commit as its author and committer, standing
   * for whoever pushed last (`web-flow`, GitHub's committer of web edits, left out);
   * undefined when GitHub does not list the head among the pull request's commits (it
   * lists at most 250).
   */
  readonly pushers: readonly string[] | undefined;
  /** How many commits GitHub lists for the pull request. */
  readonly listed: number;
  /**
   * How the commit came from the pull request: one of its own commits (a fast-forward),
   * or its `merge_commit_sha` (a merge or squash commit, or the last commit of a rebase
   * merge), whose content must be compared with the pull request's (see merge-effect.ts).
   */
  readonly via: 'own-commit' | 'merge';
}

/** What the lookup found. */
export interface MergedPulls {
  readonly pulls: readonly PullFacts[];
  /**
   * Merged pull requests GitHub credits the commit to although it is neither their merge
   * commit nor one of their commits: the commit is an earlier commit of a rebase merge.
   */
  readonly rebased: readonly number[];
}

/** GitHub's own committer login for commits made in its web interface: no person. */
const WEB_FLOW = 'web-flow';

/**
 * Merged pull requests into the branch that brought the commit: those whose merge
 * (or squash) commit it is, else those among whose commits it is. Throws like
 * `callGitHub` (the first call notices a wrong repository or an unknown commit).
 */
export async function findMergedPulls(q: PullQuery): Promise<MergedPulls> {
  const { client, repo, commit } = q;
  const listed = await callGitHub(q, 'ListPullRequestsAssociatedWithCommit', true, () =>
    client.paginate(client.rest.repos.listPullRequestsAssociatedWithCommit, {
      ...repo,
      commit_sha: commit,
      per_page: 100,
    }),
  );
  const merged = listed.filter((p) => p.merged_at && p.base.ref === q.branch);
  const byMerge = merged.filter((p) => p.merge_commit_sha === commit);
  const found: PullFacts[] = [];
  const rebased: number[] = [];
  for (const p of byMerge.length ? byMerge : merged) {
    const commits = await callGitHub(q, `ListCommitsOfPullRequest #${p.number}`, false, () =>
      client.paginate(client.rest.pulls.listCommits, { ...repo, pull_number: p.number, per_page: 100 }),
    );
    // A fast-forward push puts the pull request's own commits on the branch.
    const own = commits.some((c) => c.sha === commit);
    if (!byMerge.length && !own) {
      rebased.push(p.number);
      continue;
    }
    const head = commits.find((c) => c.sha === p.head.sha);
    const pushers = head && [head.author?.login, head.committer?.login];
    found.push({
      number: p.number,
      author: p.user?.login ?? '',
      url: p.html_url,
      head: p.head.sha,
      pushers: pushers?.filter((login): login is string => !!login && login.toLowerCase() !== WEB_FLOW),
      listed: commits.length,
      via: own ? 'own-commit' : 'merge',
    });
  }
  return { pulls: found, rebased };
}
