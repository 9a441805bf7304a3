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
 *   (its change was never reported as done), and the next writer first folds
 *   the log into the snapshot, so the torn line never ends up in the middle.
 *   A line that does not parse anywhere else is damage, not a crash: opening
 *   or refreshing the map throws, naming the file and the line.
 * - Only a missing file is absent; a file that cannot be read (a folder in its
 *   place, no permission) is an error naming it (see state-file.ts).
 * - Other processes (`ringmaster recover`) may append too: `refresh` reads
 *   what they added, and compaction, which replaces the log, carries over
 *   lines appended meanwhile; an appender that finds the log replaced under it
 *   writes its lines again to the new one.
 */
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncFolder, tempPathFor, writeChunksAtomic } from './atomic-file.js';
import { type LogLine, formatLine, lineCount, parseLine, readLines } from './log-lines.js';
import { readStateText, stateFileError, statIfPresent } from './state-file.js';

/** How a snapshot file's text turns into entries and back. */
export interface SnapshotCodec<V> {
  /** The entries of a snapshot; `text` is undefined when there is no file. Throws ConfigurationError naming `path`. */
  decode(text: string | undefined, path: string): Map<string, V>;
  /**
   * The snapshot's text, in chunks written one after the other (see
   * json-chunks.ts); undefined when there is nothing to keep (the file is removed).
   */
  encode(entries: ReadonlyMap<string, V>): Iterable<string> | undefined;
  /** How a value is written in a log line and read back, when not as it is (to leave out what it repeats, say). */
  readonly line?: { pack(value: V): unknown; unpack(packed: unknown): V };
}

export interface DurableMapOptions {
  /** Compact once the log is this many bytes and larger than the snapshot. Default 8 MiB. */
  readonly compactBytes?: number;
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
  /** The log file read so far: its identity, how many bytes of it are applied, and how many lines those are. */
  #read = { ino: -1, offset: 0, lines: 0 };
  /** Whether the log, as last read, ends in a torn line: one cut short, or a last line that does not parse. */
  #tornTail = false;
  #snapshotBytes = 0;

  private constructor(
    readonly path: string,
    readonly codec: SnapshotCodec<V>,
    options: DurableMapOptions,
  ) {
    this.logPath = `${path}.log`;
    this.#compactBytes = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
  }

  /**
   * Reads the snapshot and replays its log. Throws ConfigurationError when
   * either is damaged (a log line that does not parse, anywhere but at the
   * end, is named by its number) or cannot be read.
   */
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
      this.#pending.push(formatLine(key, v));
    }
    return this.#write();
  }

  /** Applies what other processes appended since the last look. True when anything was applied. Throws as `open` does. */
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
      const current = await statIfPresent(this.logPath);
      if (current?.ino === this.#read.ino) {
        // Nobody else wrote since we last read: what we wrote needs no reading back. (Otherwise the
        // next refresh reads their lines and ours again, which is harmless: a line sets a key.)
        if (current.size === this.#read.offset + bytes) {
          this.#read.offset = current.size;
          this.#read.lines += lineCount(text);
        }
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
    const log = await open(this.logPath, 'a+', 0o600).catch((err: unknown) => {
      throw stateFileError(this.logPath, err, 'opened for writing');
    });
    // The log may be new: its name must survive a power loss as well as its lines.
    await syncFolder(dirname(this.logPath));
    const { size, ino } = await log.stat();
    if (this.#read.ino === -1) this.#read = { ino, offset: 0, lines: 0 };
    if (ino !== this.#read.ino) {
      // Replaced between our look and our open: look again.
      await log.close();
      return this.#openLog();
    }
    await this.#applyFrom(log, this.#read.offset, size);
    this.#log = log;
    // A torn last line from a crash: lines appended after it would leave it in the middle, where it reads
    // as damage. Fold the log into the snapshot instead; the fresh log leaves the torn line behind.
    if (this.#tornTail) await this.#compact();
    return this.#log;
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
    const text = await readStateText(this.path);
    const entries = this.codec.decode(text, this.path);
    this.#entries.clear();
    for (const [k, v] of entries) this.#entries.set(k, v);
    this.#snapshotBytes = text === undefined ? 0 : Buffer.byteLength(text);
    this.#read = { ino: -1, offset: 0, lines: 0 };
    this.#tornTail = false;
    await this.#catchUp();
    // Our own lines, made in this process: never damaged.
    for (const line of (unwritten + this.#pending.join('')).split('\n')) {
      const record = line ? this.#parseLine(line) : undefined;
      if (record) this.#applyRecord(record);
    }
  }

  /** Applies the log from where we stopped reading; starts over when the log was replaced. */
  async #catchUp(): Promise<boolean> {
    const current = await statIfPresent(this.logPath);
    if (!current) return false;
    if (current.ino !== this.#read.ino) {
      if (this.#read.ino !== -1) {
        // Compacted by another process: its snapshot holds what its log held.
        await this.#closeLog();
        await this.#reload();
        return true;
      }
      this.#read = { ino: current.ino, offset: 0, lines: 0 };
    }
    if (current.size <= this.#read.offset) return false;
    const log = await open(this.logPath, 'r').catch((err: unknown) => {
      throw stateFileError(this.logPath, err);
    });
    try {
      return (await this.#applyFrom(log, this.#read.offset, current.size)) > 0;
    } finally {
      await log.close();
    }
  }

  /**
   * Applies the whole lines of `log` between `from` and `to` (the end of the
   * log as it is now) and advances the read offset past them (see readLines
   * for a torn last line and a damaged one).
   */
  async #applyFrom(log: FileHandle, from: number, to: number): Promise<number> {
    if (to <= from) return 0;
    const buffer = Buffer.alloc(to - from);
    await log.read(buffer, 0, buffer.length, from).catch((err: unknown) => {
      throw stateFileError(this.logPath, err);
    });
    const read = readLines(buffer, this.path, this.#read.lines + 1, (line) => this.#parseLine(line));
    this.#tornTail = read.tornTail;
    for (const record of read.records) this.#applyRecord(record);
    this.#read.offset = from + read.bytes;
    this.#read.lines += read.lines;
    return read.records.length;
  }

  #applyRecord(record: LogLine): void {
    if (record.v === undefined) this.#entries.delete(record.k);
    else this.#entries.set(record.k, record.v as V);
  }

  /** The change a log line makes, its value unpacked; undefined when the line does not parse or has the wrong shape. */
  #parseLine(line: string): LogLine | undefined {
    const record = parseLine(line);
    if (!record || record.v === undefined || !this.codec.line) return record;
    try {
      return { k: record.k, v: this.codec.line.unpack(record.v) };
    } catch {
      return undefined;
    }
  }

  async #compact(): Promise<void> {
    await this.#catchUp();
    const chunks = this.codec.encode(this.#entries);
    if (chunks) this.#snapshotBytes = await writeChunksAtomic(this.path, chunks);
    else {
      await rm(this.path, { force: true });
      this.#snapshotBytes = 0;
    }
    const old = this.#log ?? (await open(this.logPath, 'a+', 0o600));
    this.#log = undefined;
    this.#tornTail = false;
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
      this.#read = { ino: (await log.stat()).ino, offset: 0, lines: 0 };
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
  return (await statIfPresent(path))?.size ?? 0;
}
