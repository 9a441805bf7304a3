import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { RemoteBranches } from '../fakes/github-git-branches.js';
import { type GitHubServer, startGitHubServer } from '../fakes/github-server.js';
import type { FixtureRepo } from './constellation.js';
import { makeTempDir, removeDir } from './git.js';

/** The `origin` of a test repository on the local GitHub stand-in, as repository o/r. */
export interface GitHubOrigin {
  /** The bare clone the pushes go to. */
  readonly bare: string;
  readonly server: GitHubServer;
  /** GITHUB_TOKEN and GITHUB_API_URL pointing at the stand-in. */
  readonly env: Readonly<Record<string, string>>;
  /** Runs git on the bare clone; returns what it printed. */
  git(...args: string[]): string;
  /** Stops the stand-in and removes the bare clone. */
  close(): Promise<void>;
}

/** Clones `repo` bare, adds the clone as its remote `origin`, and serves it as o/r. */
export async function addGitHubOrigin(repo: FixtureRepo): Promise<GitHubOrigin> {
  const bare = join(await makeTempDir(), 'origin.git');
  await simpleGit().clone(repo.dir, bare, ['--bare', '--quiet']);
  await repo.git.addRemote('origin', bare);
  const server = await startGitHubServer({ repos: ['o/r'] });
  server.state.repo('o/r').branches = new RemoteBranches(bare);
  return {
    bare,
    server,
    env: { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: server.url },
    git: (...args) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8' }),
    async close() {
      await server.close();
      await removeDir(join(bare, '..'));
    },
  };
}
