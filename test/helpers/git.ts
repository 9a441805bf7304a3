import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';

/** A fresh temporary folder; remove it with `removeDir`. */
export async function makeTempDir(prefix = 'ringmaster-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Copies a fixture tree (for example test/fixtures/base) into `dir`. */
export async function copyTree(from: string, dir: string): Promise<void> {
  await cp(from, dir, { recursive: true, verbatimSymlinks: true });
}

/** Makes `dir` a git repository with a committer, on branch main. */
export async function initRepo(dir: string): Promise<SimpleGit> {
  const git = simpleGit({ baseDir: dir });
  await git.init(['--initial-branch=main']);
  await git
    .addConfig('user.email', 'test@ringmaster.invalid')
    .addConfig('user.name', 'Ringmaster Test')
    .addConfig('commit.gpgsign', 'false');
  return git;
}

/** Stages everything in the work tree and commits it; returns the new commit's sha. */
export async function commitAll(git: SimpleGit, message: string): Promise<string> {
  await git.add(['-A']);
  await git.commit(message, undefined, { '--allow-empty': null });
  return (await git.revparse(['HEAD'])).trim();
}
