/**
 * Pull requests made with real git in a test repository standing in for the
 * GitHub remote: a branch of commits, then a merge commit or a squash commit
 * on main (optionally with changes nobody reviewed), and the pull request's
 * head published as `refs/pull/<number>/head`, as GitHub exposes it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { commitAll } from './git.js';

/** A work tree on branch main: the remote of a test. */
export interface WorkRepo {
  readonly dir: string;
  readonly git: SimpleGit;
}

/** File texts by path, relative to the repository. */
export type Edits = Readonly<Record<string, string>>;

/** Writes `edits` into the work tree, creating folders. */
export async function writeEdits(repo: WorkRepo, edits: Edits): Promise<void> {
  for (const [path, text] of Object.entries(edits)) {
    await mkdir(dirname(join(repo.dir, path)), { recursive: true });
    await writeFile(join(repo.dir, path), text);
  }
}

/**
 * Creates branch `name` from main with one commit per entry of `commits`, then checks
 * main out again. Returns the branch's commits, oldest first (the last is its head).
 */
export async function pushBranch(repo: WorkRepo, name: string, ...commits: Edits[]): Promise<string[]> {
  await repo.git.checkout(['-b', name, 'main']);
  const shas: string[] = [];
  for (const [i, edits] of commits.entries()) {
    await writeEdits(repo, edits);
    shas.push(await commitAll(repo.git, `${name}: change ${i + 1}`));
  }
  await repo.git.checkout('main');
  return shas;
}

/** How a pull request reaches main. */
export interface MergeOptions {
  /** Pull request number, for the commit message and `refs/pull/<number>/head`. */
  readonly number: number;
  /** Changes written into the merge or squash commit itself, beyond the branch's. */
  readonly smuggle?: Edits;
}

/** Merges `branch` into main with a merge commit (`--no-ff`), as GitHub's "Create a merge commit"; returns its sha. */
export async function mergeCommit(repo: WorkRepo, branch: string, opts: MergeOptions): Promise<string> {
  await publishPullHead(repo, opts.number, branch);
  await repo.git.raw(['merge', '--no-ff', '--no-commit', branch]);
  await writeEdits(repo, opts.smuggle ?? {});
  return commitAll(repo.git, `Merge pull request #${opts.number} from ${branch}`);
}

/**
 * Squashes `branch` onto main as one commit, as GitHub's "Squash and merge", and deletes
 * the branch: its head stays reachable only through `refs/pull/<number>/head`. Returns the
 * squash commit's sha.
 */
export async function squashCommit(repo: WorkRepo, branch: string, opts: MergeOptions): Promise<string> {
  await publishPullHead(repo, opts.number, branch);
  await repo.git.raw(['merge', '--squash', branch]);
  await writeEdits(repo, opts.smuggle ?? {});
  const sha = await commitAll(repo.git, `Squashed pull request #${opts.number} (${branch})`);
  await repo.git.raw(['branch', '-D', branch]);
  return sha;
}

/** Points `refs/pull/<number>/head` at `rev`, where GitHub keeps every pull request's head. */
export async function publishPullHead(repo: WorkRepo, number: number, rev: string): Promise<string> {
  const sha = (await repo.git.revparse([rev])).trim();
  await repo.git.raw(['update-ref', `refs/pull/${number}/head`, sha]);
  return sha;
}
