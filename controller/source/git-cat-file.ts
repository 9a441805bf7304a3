/**
 * One long-lived `git cat-file --batch-command --buffer` child that serves
 * object sizes and contents for one repository. Forking git costs more the
 * larger this process's heap grows (over 10 ms a call with 10,000 groups
 * loaded); the child is spawned once, at the first request, while the heap
 * is still small, and kept. simple-git runs one child per command and cannot
 * write to a child's standard input, so this reader uses node:child_process
 * directly: the one place in the code base that does.
 */
import { spawn } from 'node:child_process';
import { gitChildEnvironment } from '../config.js';
import { keepAliveWhile } from './child-handles.js';
import { ConfigurationError, TransientError } from '../errors.js';

/** An object as `cat-file` describes it. */
export interface GitObjectInfo {
  readonly id: string;
  readonly type: string;
  readonly size: number;
}

/** An object with its content. */
export interface GitObject extends GitObjectInfo {
  readonly content: Buffer;
}

type Command = 'info' | 'contents';

/** Gives a buffer of at least `bytes` to read a content into, or undefined for a new one. */
export type Storage = (bytes: number) => Buffer | undefined;

/** One batch of commands written at once; the child answers in order. */
interface Batch {
  readonly command: Command;
  readonly names: readonly string[];
  readonly storage?: Storage;
  readonly text: string;
  results: (GitObject | GitObjectInfo | undefined)[];
  attempts: number;
  resolve(results: (GitObject | GitObjectInfo | undefined)[]): void;
  reject(err: unknown): void;
}

/** Tries per batch: a child that died is replaced once for the batches it owed answers to. */
const MAX_ATTEMPTS = 2;
/** Standard error kept for messages when the child stops. */
const MAX_STDERR = 4096;

/**
 * Answers `info` and `contents` requests for objects of the repository at
 * `dir` (a work tree or a bare repository) through one child process.
 * Requests may overlap; each resolves with one result per name, undefined
 * for a missing object. The child never keeps Node from exiting: it is
 * unreferenced while no request waits, and exits when this process does
 * (its standard input closes). A child that dies is restarted for the
 * requests it had not answered, once; then they fail with TransientError
 * GitReaderStopped, whose message carries git's standard error. Needs git
 * 2.36 or newer.
 */
export class GitCatFile {
  #current?: Connection;

  constructor(readonly dir: string) {}

  /** Type and size of each object; undefined where it is missing. */
  info(names: readonly string[]): Promise<(GitObjectInfo | undefined)[]> {
    return this.#request('info', names);
  }

  /**
   * Type, size and content of each object; undefined where it is missing.
   * `storage` may lend a buffer to read a content into (its start is
   * overwritten): fresh large buffers cost page faults on every read.
   */
  contents(names: readonly string[], storage?: Storage): Promise<(GitObject | undefined)[]> {
    return this.#request('contents', names, storage) as Promise<(GitObject | undefined)[]>;
  }

  /** Lets the child exit once it answered what was asked; resolves when it has. A later request starts a new one. */
  async close(): Promise<void> {
    const connection = this.#current;
    this.#current = undefined;
    await connection?.end();
  }

  #request(
    command: Command,
    names: readonly string[],
    storage?: Storage,
  ): Promise<(GitObject | GitObjectInfo | undefined)[]> {
    if (names.length === 0) return Promise.resolve([]);
    const bad = names.find((n) => n === '' || /\s/.test(n));
    if (bad !== undefined) {
      return Promise.reject(
        new ConfigurationError(
          'BadObjectName',
          `${JSON.stringify(bad)} is not an object name git cat-file can read`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const text = `${names.map((n) => `${command} ${n}\n`).join('')}flush\n`;
      this.#send({ command, names, storage, text, results: [], attempts: 0, resolve, reject });
    });
  }

  #send(batch: Batch): void {
    batch.attempts++;
    if (!this.#current?.alive)
      this.#current = new Connection(this.dir, (owed, err) => this.#stopped(owed, err));
    this.#current.send(batch);
  }

  /** A child died owing answers: send them again through a new child, or fail them. */
  #stopped(owed: readonly Batch[], error: Error): void {
    for (const batch of owed) {
      batch.results = [];
      if (batch.attempts < MAX_ATTEMPTS) this.#send(batch);
      else batch.reject(error);
    }
  }
}

/** One child process and the state of reading its answers. */
class Connection {
  readonly #child;
  readonly #inFlight: Batch[] = [];
  #alive = true;
  #stderr = '';
  /** The header line read so far, when a chunk ended inside it. */
  #head: Buffer[] = [];
  /** The content being read: the buffer it goes to (content and closing newline first) and how much is filled. */
  #body?: { readonly info: GitObjectInfo; readonly buffer: Buffer; filled: number };

  constructor(
    private readonly dir: string,
    private readonly onStop: (owed: readonly Batch[], error: Error) => void,
  ) {
    const child = spawn('git', ['-C', dir, 'cat-file', '--batch-command', '--buffer'], {
      env: gitChildEnvironment(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    child.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-MAX_STDERR);
    });
    // Writing to a child that died fails with EPIPE; 'close' reports why it died.
    child.stdin.on('error', () => {});
    child.on('error', (err) => this.#stop(err.message, err));
    child.on('close', (code, signal) => this.#stop(signal ?? `exit code ${code}`));
    this.#setBusy(false);
  }

  /** False once the child exited or its output could not be read. */
  get alive(): boolean {
    return this.#alive;
  }

  send(batch: Batch): void {
    this.#inFlight.push(batch);
    this.#setBusy(true);
    this.#child.stdin.write(batch.text);
  }

  /** Ends the child's input: it answers what it was asked, then exits. */
  end(): Promise<void> {
    if (!this.#alive) return Promise.resolve();
    return new Promise((resolve) => {
      this.#child.once('close', () => resolve());
      this.#setBusy(true); // until it exited
      this.#child.stdin.end();
    });
  }

  #stop(why: string, cause?: Error): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#setBusy(false);
    const owed = this.#inFlight.splice(0);
    if (owed.length === 0) return;
    const stderr = this.#stderr.trim();
    const error = new TransientError(
      'GitReaderStopped',
      `git cat-file in ${this.dir} stopped (${why})${stderr ? `: ${stderr}` : ''}; check that the folder is a git repository and that git is 2.36 or newer`,
      { cause },
    );
    this.onStop(owed, error);
  }

  #onData(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.#alive) {
      if (this.#body) {
        at = this.#fillBody(chunk, at);
        continue;
      }
      const newline = chunk.indexOf(0x0a, at);
      if (newline < 0) {
        this.#head.push(chunk.subarray(at));
        return;
      }
      this.#head.push(chunk.subarray(at, newline));
      const line = Buffer.concat(this.#head).toString('latin1');
      this.#head = [];
      at = newline + 1;
      this.#onHeader(line);
    }
  }

  #onHeader(line: string): void {
    const batch = this.#inFlight[0];
    if (!batch) return this.#protocolError(`unexpected output "${line}"`);
    const parts = line.split(' ');
    if (parts.length === 2 && (parts[1] === 'missing' || parts[1] === 'ambiguous')) {
      return this.#answer(undefined);
    }
    const size = Number(parts[2]);
    if (parts.length !== 3 || !Number.isSafeInteger(size) || size < 0) {
      return this.#protocolError(`unexpected answer "${line}"`);
    }
    const info: GitObjectInfo = { id: parts[0]!, type: parts[1]!, size };
    if (batch.command === 'info') return this.#answer(info);
    const lent = batch.storage?.(size + 1);
    const buffer = lent && lent.length >= size + 1 ? lent : Buffer.allocUnsafe(size + 1);
    this.#body = { info, buffer, filled: 0 };
  }

  /** Copies what `chunk` holds of the content being read; returns where the rest of the chunk starts. */
  #fillBody(chunk: Buffer, at: number): number {
    const body = this.#body!;
    const total = body.info.size + 1; // the content and its closing newline; the buffer may be longer
    const take = Math.min(total - body.filled, chunk.length - at);
    chunk.copy(body.buffer, body.filled, at, at + take);
    body.filled += take;
    if (body.filled === total) {
      this.#body = undefined;
      if (body.buffer[body.info.size] !== 0x0a) this.#protocolError('content not followed by a newline');
      else this.#answer({ ...body.info, content: body.buffer.subarray(0, body.info.size) });
    }
    return at + take;
  }

  #answer(result: GitObject | GitObjectInfo | undefined): void {
    const batch = this.#inFlight[0]!;
    batch.results.push(result);
    if (batch.results.length < batch.names.length) return;
    this.#inFlight.shift();
    if (this.#inFlight.length === 0) this.#setBusy(false);
    batch.resolve(batch.results);
  }

  /** Answers can no longer be matched to requests: stop this child; what it owed goes to a new one. */
  #protocolError(what: string): void {
    this.#stderr = `${this.#stderr}\n${what}`.slice(-MAX_STDERR);
    this.#stop('unreadable output');
    this.#child.kill();
  }

  /** A waiting request keeps Node alive until it is answered; an idle child does not. */
  #setBusy(busy: boolean): void {
    keepAliveWhile(this.#child, busy);
  }
}
