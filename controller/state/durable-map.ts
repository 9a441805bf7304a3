/**
 * A map kept durable as a snapshot file plus an append-only log of changes
 * beside it (`<snapshot>.log`), so that changing one entry of 10,000 costs one
 * short line, not a rewrite of megabytes.
 *
 * - Group commit: changes made while a write is on its way share the next
 *   write, one append and one fdatasync for all of them. A change's promise
 *   resolves once its line is on disk.
 * - Each line sets one key to a value, or deletes it, so replaying lines that
 *   the snapshot already holds changes nothing: a crash in the middle of
 *   compacting loses nothing.
 * - A crash in the middle of an append leaves a torn last line; it is skipped
 *   (its change was never reported as done) and the next writer starts on a
 *   new line.
 * - Other processes (`ringmaster recover`) may append too: `refresh` reads
 *   what they added, and compaction, which replaces the log, carries over
 *   lines appended meanwhile; an appender that finds the log replaced under it
 *   writes its lines again to the new one.
 */
import { type FileHandle, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { syncFolder, tempPathFor, writeFileAtomic } from './atomic-file.js';

/** How a snapshot file's text turns into entries and back. */
export interface SnapshotCodec<V> {
  /** The entries of a snapshot; `text` is undefined when there is no file. Throws ConfigurationError naming `path`. */
  decode(text: string | undefined, path: string): Map<string, V>;
  /** The snapshot's text; undefined when there is nothing to keep (the file is removed). */
  encode(entries: ReadonlyMap<string, V>): string | undefined;
  /** How a value is written in a log line and read back, when not as it is (to leave out what it repeats, say). */
  readonly line?: { pack(value: V): unknown; unpack(packed: unknown): V };
}

export interface DurableMapOptions {
  /** Compact once the log is this many bytes and larger than the snapshot. Default 8 MiB. */
  readonly compactBytes?: number;
}

interface LogLine {
  readonly k: string;
  /** Absent: the key was deleted. */
  readonly v?: unknown;
}

const DEFAULT_COMPACT_BYTES = 8 * 1024 * 1024;

export class DurableMap<V> {
  readonly logPath: string;
  readonly #entries = new Map<string, V>();
  readonly #compactBytes: number;
  /** Lines not written yet. */
  #pending: string[] = [];
  /** The write every change made now will be part of; it has not started yet. */
  #next?: Promise<void>;
  /** The writes and compactions, one at a time. */
  #chain: Promise<void> = Promise.resolve();
  #log?: FileHandle;
  /** The log file read so far: its identity and how many bytes of it are applied. */
  #read = { ino: -1, offset: 0 };
  #snapshotBytes = 0;

  private constructor(
    readonly path: string,
    readonly codec: SnapshotCodec<V>,
    options: DurableMapOptions,
  ) {
    this.logPath = `${path}.log`;
    this.#compactBytes = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
  }

  /** Reads the snapshot and replays its log. Throws ConfigurationError when either is damaged. */
  static async open<V>(
    path: string,
    codec: SnapshotCodec<V>,
    options: DurableMapOptions = {},
  ): Promise<DurableMap<V>> {
    const map = new DurableMap(path, codec, options);
    await map.#reload();
    return map;
  }

  get entries(): ReadonlyMap<string, V> {
    return this.#entries;
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  /** Sets `key` (deletes it when `value` is undefined) now; resolves once the change is on disk. */
  set(key: string, value: V | undefined): Promise<void> {
    return this.setMany([[key, value]]);
  }

  /** Sets several keys in one line each and one write. */
  setMany(changes: Iterable<readonly [string, V | undefined]>): Promise<void> {
    for (const [key, value] of changes) {
      if (value === undefined) this.#entries.delete(key);
      else this.#entries.set(key, value);
      const v = value === undefined || !this.codec.line ? value : this.codec.line.pack(value);
      this.#pending.push(`${JSON.stringify(v === undefined ? { k: key } : { k: key, v })}\n`);
    }
    return this.#write();
  }

  /** Applies what other processes appended since the last look. True when anything was applied. */
  refresh(): Promise<boolean> {
    return this.#serial(() => this.#catchUp());
  }

  /**
   * Writes every entry to the snapshot and starts an empty log. Runs between
   * writes; lines other processes append meanwhile are carried over. Does
   * nothing when the log is empty: the snapshot already holds every entry,
   * and rewriting megabytes to say so would cost a stopping controller time
   * and memory for nothing.
   */
  compact(): Promise<void> {
    return this.#serial(async () => {
      await this.#catchUp();
      if (this.#read.offset === 0 && (await sizeOf(this.logPath)) === 0) return;
      await this.#compact();
    });
  }

  /** Runs `work` after the writes and compactions before it; a failure does not stop the ones after. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(work);
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Waits for the writes under way and closes the log. */
  async close(): Promise<void> {
    await this.#chain;
    await this.#log?.close();
    this.#log = undefined;
  }

  #write(): Promise<void> {
    if (this.#next) return this.#next;
    const write = this.#serial(async () => {
      this.#next = undefined;
      const lines = this.#pending;
      this.#pending = [];
      if (lines.length) await this.#append(lines.join(''));
      if (this.#read.offset > this.#compactBytes && this.#read.offset > this.#snapshotBytes)
        await this.#compact();
    });
    this.#next = write;
    return write;
  }

  /** Appends `text` and syncs it; writes it again when the log was replaced under us meanwhile. */
  async #append(text: string): Promise<void> {
    const bytes = Buffer.byteLength(text);
    for (;;) {
      const log = await this.#openLog();
      await log.appendFile(text);
      await log.datasync();
      const current = await stat(this.logPath).catch(() => undefined);
      if (current?.ino === this.#read.ino) {
        // Nobody else wrote since we last read: what we wrote needs no reading back. (Otherwise the
        // next refresh reads their lines and ours again, which is harmless: a line sets a key.)
        if (current.size === this.#read.offset + bytes) this.#read.offset = current.size;
        return;
      }
      // Another process compacted meanwhile, and our lines may have gone with the old log: read its
      // snapshot and write them again (a line sets a key, so twice is harmless).
      await this.#closeLog();
      await this.#reload(text);
    }
  }

  async #openLog(): Promise<FileHandle> {
    if (this.#log) return this.#log;
    await this.#catchUp();
    await mkdir(dirname(this.logPath), { recursive: true });
    const log = await open(this.logPath, 'a+', 0o600);
    // The log may be new: its name must survive a power loss as well as its lines.
    await syncFolder(dirname(this.logPath));
    const { size, ino } = await log.stat();
    if (this.#read.ino === -1) this.#read = { ino, offset: 0 };
    if (ino !== this.#read.ino) {
      // Replaced between our look and our open: look again.
      await log.close();
      return this.#openLog();
    }
    await this.#applyFrom(log, this.#read.offset, size);
    // A torn last line from a crash: start ours on a line of its own.
    if (size > 0) {
      const last = Buffer.alloc(1);
      await log.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await log.appendFile('\n');
    }
    this.#log = log;
    return log;
  }

  async #closeLog(): Promise<void> {
    const log = this.#log;
    this.#log = undefined;
    await log?.close();
  }

  /**
   * Reads the snapshot and the whole log again, then applies `unwritten` and
   * the changes not written yet, which neither file holds.
   */
  async #reload(unwritten = ''): Promise<void> {
    const text = await readFile(this.path, 'utf8').catch((err: unknown) => {
      if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
      throw err;
    });
    const entries = this.codec.decode(text, this.path);
    this.#entries.clear();
    for (const [k, v] of entries) this.#entries.set(k, v);
    this.#snapshotBytes = text === undefined ? 0 : Buffer.byteLength(text);
    this.#read = { ino: -1, offset: 0 };
    await this.#catchUp();
    this.#applyText(unwritten + this.#pending.join(''));
  }

  /** Applies the log from where we stopped reading; starts over when the log was replaced. */
  async #catchUp(): Promise<boolean> {
    const current = await stat(this.logPath).catch(() => undefined);
    if (!current) return false;
    if (current.ino !== this.#read.ino) {
      if (this.#read.ino !== -1) {
        // Compacted by another process: its snapshot holds what its log held.
        await this.#closeLog();
        await this.#reload();
        return true;
      }
      this.#read = { ino: current.ino, offset: 0 };
    }
    if (current.size <= this.#read.offset) return false;
    const log = await open(this.logPath, 'r');
    try {
      return (await this.#applyFrom(log, this.#read.offset, current.size)) > 0;
    } finally {
      await log.close();
    }
  }

  /** Applies the whole lines of `log` between `from` and `to`; advances the read offset past them. */
  async #applyFrom(log: FileHandle, from: number, to: number): Promise<number> {
    if (to <= from) return 0;
    const buffer = Buffer.alloc(to - from);
    await log.read(buffer, 0, buffer.length, from);
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return 0;
    this.#read.offset = from + end + 1;
    return this.#applyText(buffer.subarray(0, end).toString('utf8'));
  }

  /** Applies log lines; a damaged line is skipped: only a crash mid-append leaves one, and its change was never reported as done. */
  #applyText(text: string): number {
    let applied = 0;
    for (const line of text.split('\n')) {
      const record = line ? parseLine(line) : undefined;
      if (!record) continue;
      if (record.v === undefined) this.#entries.delete(record.k);
      else this.#entries.set(record.k, this.codec.line ? this.codec.line.unpack(record.v) : (record.v as V));
      applied++;
    }
    return applied;
  }

  async #compact(): Promise<void> {
    await this.#catchUp();
    const text = this.codec.encode(this.#entries);
    if (text === undefined) await rm(this.path, { force: true });
    else await writeFileAtomic(this.path, text);
    this.#snapshotBytes = text === undefined ? 0 : Buffer.byteLength(text);
    const old = this.#log ?? (await open(this.logPath, 'a+', 0o600));
    this.#log = undefined;
    try {
      const fresh = tempPathFor(this.logPath);
      await (await open(fresh, 'w', 0o600)).close();
      await rename(fresh, this.logPath);
      await syncFolder(dirname(this.logPath));
      // Lines another process appended to the old log after our last read are in neither file: carry
      // them over. (That process also writes them again once it sees the log replaced.)
      const size = (await old.stat()).size;
      const carried = Buffer.alloc(Math.max(0, size - this.#read.offset));
      if (carried.length) await old.read(carried, 0, carried.length, this.#read.offset);
      const whole = carried.subarray(0, carried.lastIndexOf(0x0a) + 1);
      const log = await open(this.logPath, 'a+', 0o600);
      this.#read = { ino: (await log.stat()).ino, offset: 0 };
      this.#log = log;
      if (whole.length) {
        await log.appendFile(whole);
        await log.datasync();
      }
      await this.#applyFrom(log, 0, (await log.stat()).size);
    } finally {
      await old.close();
    }
  }
}

/** The size of the file at `path`; 0 when there is none. */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

function parseLine(line: string): LogLine | undefined {
  try {
    const record = JSON.parse(line) as LogLine;
    return typeof record === 'object' && record !== null && typeof record.k === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** A ConfigurationError for a damaged snapshot file. */
export function damaged(path: string, what: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(
    'StateUnreadable',
    `${path} is not ${what}; restore it from a backup, or move it and ${basename(path)}.log away to start afresh`,
    { cause },
  );
}
