import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** The git children started while it was installed, one command line each; `restore` uninstalls it. */
export interface GitChildLog {
  commands(): string[];
  clear(): void;
  /** Resolves once a command matching `pauseOnce` has started and waits. */
  paused(): Promise<void>;
  /** Lets the paused command go on. */
  resume(): void;
  restore(): void;
}

/**
 * Puts a `git` in front of PATH that writes each command line to a file and
 * runs the real git: it sees every git child started with this process's
 * environment (controller/source/git-run.ts). simple-git's children do not
 * see it: they start with the environment Node was started with. With
 * `pauseOnce`, the first command whose line contains that text waits, before
 * it runs, until `resume`: another writer can act at exactly that point.
 */
export function recordGitChildren(options: { pauseOnce?: string } = {}): GitChildLog {
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'ringmaster-git-children-'));
  const log = join(dir, 'commands.log');
  const [paused, resumed] = [join(dir, 'paused'), join(dir, 'resume')];
  const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
  const pause = options.pauseOnce
    ? `case "$*" in *${quote(options.pauseOnce)}*)\n  if mkdir ${quote(paused)} 2>/dev/null; then\n` +
      `    while [ ! -e ${quote(resumed)} ]; do sleep 0.01; done\n  fi;;\nesac\n`
    : '';
  mkdirSync(join(dir, 'bin'));
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'bin', 'git'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> ${quote(log)}\n${pause}exec ${quote(realGit)} "$@"\n`,
    { mode: 0o755 },
  );
  const path = process.env.PATH;
  process.env.PATH = `${join(dir, 'bin')}:${path ?? ''}`;
  return {
    commands: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    clear: () => writeFileSync(log, ''),
    async paused() {
      // The wrapper makes the folder as it starts to wait; nothing else does.
      for (let i = 0; !existsSync(paused); i++) {
        if (i > 2000) throw new Error(`no git command containing "${options.pauseOnce}" started`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    resume: () => writeFileSync(resumed, ''),
    restore: () => {
      process.env.PATH = path;
      writeFileSync(resumed, '');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
