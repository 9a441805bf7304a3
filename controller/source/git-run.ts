/**
 * One git command run directly, for the commands between a merge and its first
 * status. simple-git holds every command that prints nothing for 50 ms after
 * it has exited (its completion plugin waits for output that will not come),
 * and those commands print nothing: the fetch, the ancestry check, the move of
 * the followed ref, the commands of a note write. Through simple-git they made
 * a new commit wait about 300 ms before its first status; here they cost what
 * git costs. Everything else still goes through simple-git.
 */
import { execFile } from 'node:child_process';
import { gitChildEnvironment } from '../config.js';

/** Options of `runGit`. */
export interface RunGitOptions {
  /** Written to git's standard input (closed at once without it). */
  readonly input?: string;
}

/** Enough for any listing the controller asks for (a rev-list of every commit of a long history). */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * Runs `git args` in `dir` and resolves with its standard output. A failure
 * rejects with an Error whose message is git's standard error (or how it
 * ended, when it said nothing), as simple-git's GitError does.
 */
export function runGit(dir: string, args: readonly string[], options: RunGitOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...args],
      { cwd: dir, env: gitChildEnvironment(), encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const said = stderr.trim();
        reject(new Error(said || err.message));
      },
    );
    // A closed input: git never waits on it, and an input git did not read is no error of ours.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}
