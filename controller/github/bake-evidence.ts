/**
 * The bake rule's evidence from GitHub: the ring statuses the controller
 * wrote there, on the commit that git's history says promoted the release.
 */
import type { SimpleGit } from 'simple-git';
import { type BakeEvidence, StatusBakeEvidence } from '../policy/bake-evidence.js';
import { GitRingHistory } from '../source/ring-history.js';
import { GitHubStatusReporter } from '../status/github.js';
import type { GitHubClient, RepoRef } from './client.js';

/**
 * Bake evidence from GitHub: the statuses of the promoting commit are read
 * with GET /repos/{owner}/{repo}/commits/{sha}/statuses (every page). Needs a
 * token that can read commit statuses.
 */
export function createGitHubBakeEvidence(options: {
  git: SimpleGit;
  base: string;
  client: GitHubClient;
  repo: RepoRef;
}): BakeEvidence {
  return new StatusBakeEvidence({
    history: new GitRingHistory(options.git),
    base: options.base,
    statuses: new GitHubStatusReporter(options.client, options.repo),
    source: `GitHub ${options.repo.owner}/${options.repo.repo}`,
  });
}
