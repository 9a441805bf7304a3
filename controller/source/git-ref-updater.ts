/**
 * One long-lived `git update-ref --stdin` child that moves refs of one
 * repository by compare-and-swap, one transaction at a time (`start`,
 * `update <ref> <new> <old>`, `prepare`, `commit`): a ref moves only from the
 * value the caller read, as `git update-ref <ref> <new> <old>` does, without a
 * git child per move. git ends the child when a transaction fails (the ref
 * moved meanwhile, or its lock is held); the next move starts a new one.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { gitChildEnvironment } from '../config.js';
import { keepAliveWhile } from './child-handles.js';

/** Standard error kept for messages. */
const MAX_STDERR = 4096;

/** A move under way: the answers still awaited, and how it ends. */
interface Move {
  readonly awaited: string[];
  resolve(): void;
  reject(err: Error): void;
}

export class GitRefUpdater {
  #child?: ChildProcessWithoutNullStreams;
  #move?: Move;
  #stderr = '';
  #out = '';

  /** `dir` is the repository (its git directory or work tree); `reason` goes to the reflog of every move. */
  constructor(
    readonly dir: string,
    private readonly reason: string,
  ) {}

  /**
   * Moves `ref` to `next` if it holds `previous` now (`previous` all zeros:
   * if it does not exist). Rejects with git's message when it does not, or
   * when git cannot move it; one move at a time (the caller serialises).
   */
  move(ref: string, next: string, previous: string): Promise<void> {
    if (this.#move) return Promise.reject(new Error('GitRefUpdater.move: a move is under way'));
    const child = this.#spawn();
    return new Promise<void>((resolve, reject) => {
      this.#move = { awaited: ['start: ok', 'prepare: ok', 'commit: ok'], resolve, reject };
      keepAliveWhile(child, true);
      child.stdin.write(`start\nupdate ${ref} ${next} ${previous}\nprepare\ncommit\n`);
    });
  }

  /** Ends the child (it exits once its input closes); resolves when it has. */
  async close(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.stdin.end();
    });
  }

  #spawn(): ChildProcessWithoutNullStreams {
    if (this.#child) return this.#child;
    const child = spawn('git', ['update-ref', '-m', this.reason, '--stdin'], {
      cwd: this.dir,
      env: gitChildEnvironment(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#stderr = '';
    this.#out = '';
    child.stdout.on('data', (chunk: Buffer) => this.#onOutput(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-MAX_STDERR);
    });
    // Writing to a child that died fails with EPIPE; 'close' says why it died.
    child.stdin.on('error', () => {});
    child.on('error', (err) => this.#ended(child, err.message));
    child.on('close', (code, signal) => this.#ended(child, signal ?? `exit code ${code}`));
    keepAliveWhile(child, false);
    return child;
  }

  #onOutput(text: string): void {
    this.#out += text;
    let newline;
    while ((newline = this.#out.indexOf('\n')) >= 0) {
      const line = this.#out.slice(0, newline);
      this.#out = this.#out.slice(newline + 1);
      const move = this.#move;
      if (!move || line !== move.awaited[0]) continue;
      move.awaited.shift();
      if (move.awaited.length > 0) continue;
      this.#move = undefined;
      if (this.#child) keepAliveWhile(this.#child, false);
      move.resolve();
    }
  }

  #ended(child: ChildProcessWithoutNullStreams, why: string): void {
    if (this.#child === child) this.#child = undefined;
    const move = this.#move;
    if (!move) return;
    this.#move = undefined;
    const said = this.#stderr.trim();
    move.reject(new Error(said || `git update-ref --stdin in ${this.dir} stopped (${why})`));
  }
}
