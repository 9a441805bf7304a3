/** Running the built CLI as a child process, as an operator does, and reading what it says. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The built CLI (npm test builds it first). */
export const CLI = join(process.cwd(), 'dist', 'controller', 'cli', 'bin.js');

/** Starts `ringmaster ...args` with its output piped. */
export function startCli(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The child's output so far, a way to wait for output matching a pattern, and its exit code. */
export function watch(child: ChildProcess) {
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    out += String(chunk);
    for (const w of waiters.filter((w) => w.pattern.test(out))) w.resolve();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += String(chunk);
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    text: () => out,
    errors: () => err,
    /** Resolves once the output matches `pattern`; rejects when the child exits first. */
    until: (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(out)) resolve();
        else waiters.push({ pattern, resolve });
        void exit.then((code) => {
          if (!pattern.test(out)) reject(new Error(`exited (${code}) before ${pattern}:\n${out}\n${err}`));
        });
      }),
    exit,
  };
}
