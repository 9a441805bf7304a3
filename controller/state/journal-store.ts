/**
 * The journal's file store: where `JournalStore` (engine/journal.ts) keeps
 * the journals of transitions when the state lives in a folder.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type HistoryFilter, type JournalEntry, type JournalStore, isFinal } from '../engine/journal.js';
import { ConfigurationError } from '../errors.js';
import { writeFilesAtomic } from './atomic-file.js';
import { DurableMap } from './durable-map.js';
import {
  type JournalPart,
  OPEN_CODEC,
  PROGRESS,
  entryOf,
  pack,
  progressKey,
  progressOf,
  sameOnceWritten,
  unpack,
} from './journal-packing.js';
import { readJsonFile } from './json-file.js';
import { isAbsent, stateFileError, statIfPresent } from './state-file.js';

/**
 * Journals in a folder. A transition under way lives in a DurableMap
 * (`open.json` and its log `open.json.log`): its entry is written whole once,
 * and then, step by step, only what changes (status, steps, reason), as short
 * lines synced together with those of every transition running beside it. A
 * transition that ended is then written, whole and readable, to
 * `<transition id>.json` in the background and leaves the map, so the map
 * stays as small as the work under way.
 */
/** A transition id, as its file is named: `<group>@<commit>`. */
const ID = /^[a-z0-9][-a-z0-9]*@[0-9a-f]{7,64}$/;

export class FileJournalStore implements JournalStore {
  #open?: Promise<DurableMap<JournalPart>>;
  /** Ended transitions waiting to be written to their own file. */
  readonly #queue = new Map<string, JournalEntry>();
  #draining?: Promise<void>;

  /** `onArchiveFailed` hears of ended transitions whose own file could not be written (they are tried again). */
  constructor(
    readonly dir: string,
    private readonly onArchiveFailed: (err: unknown, ids: readonly string[]) => void = () => {},
  ) {}

  private pathOf(id: string): string {
    if (!ID.test(id))
      throw new ConfigurationError('BadTransitionId', `"${id}" is not a transition id (<group>@<commit>)`);
    return join(this.dir, `${id}.json`);
  }

  async load(id: string): Promise<JournalEntry | undefined> {
    this.pathOf(id);
    const map = await this.#map();
    const open = entryOf(map, id);
    if (open) return open;
    // Written by another process (a controller before a crash, say) since we looked?
    await map.refresh();
    return entryOf(map, id) ?? this.#file(id);
  }

  /** Resolves once the entry is on disk; an ended one goes on to its own file in the background. */
  async save(entry: JournalEntry): Promise<void> {
    this.pathOf(entry.id);
    const map = await this.#map();
    const base = map.get(entry.id) as JournalEntry | undefined;
    const progress = progressOf(entry);
    if (base && sameOnceWritten(base, entry)) await map.set(progressKey(entry.id), progress);
    else
      await map.setMany([
        [entry.id, entry],
        [progressKey(entry.id), undefined],
      ]);
    if (isFinal(entry.status)) this.#archive(map, entry);
  }

  async listOpen(): Promise<JournalEntry[]> {
    const map = await this.#map();
    await map.refresh();
    const open: JournalEntry[] = [];
    for (const key of map.entries.keys()) {
      if (key.endsWith(PROGRESS)) continue;
      const entry = entryOf(map, key)!;
      // Ended, but its own file was not written yet (a crash, a full disk): write it now.
      if (isFinal(entry.status)) this.#archive(map, entry);
      else open.push(entry);
    }
    return open;
  }

  /**
   * Every transition the journal holds, under way or ended, of a group and of
   * a commit (see JournalStore.history), newest first. Reads the file of each
   * ended transition whose name matches: a group's or a commit's history
   * reads only its own.
   */
  async history(filter: HistoryFilter = {}): Promise<JournalEntry[]> {
    const { group } = filter;
    const commit = filter.commit?.toLowerCase();
    // Ids carry the first 12 digits of their commit: compare what both have.
    const ofCommit = (c: string) =>
      commit === undefined || c.startsWith(commit.slice(0, 12)) || commit.startsWith(c);
    const wanted = (id: string) =>
      (group === undefined || id.startsWith(`${group}@`)) && ofCommit(id.slice(id.indexOf('@') + 1));
    const byId = new Map<string, JournalEntry>();
    const names = await readdir(this.dir).catch((err: { code?: string }) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const name of names) {
      const id = name.endsWith('.json') ? name.slice(0, -5) : '';
      if (!ID.test(id) || !wanted(id)) continue;
      const entry = await this.#file(id);
      if (entry && (commit === undefined || entry.commit.startsWith(commit))) byId.set(id, entry);
    }
    // What the log holds is newer than any file of the same id.
    for (const entry of await this.listOpen())
      if (wanted(entry.id) && (commit === undefined || entry.commit.startsWith(commit)))
        byId.set(entry.id, entry);
    return [...byId.values()].sort(
      (a, b) => b.startedAt.localeCompare(a.startedAt) || a.id.localeCompare(b.id),
    );
  }

  /**
   * Removes the files of transitions that ended before `endedBefore`, but
   * never a group's newest transition nor one `keep` holds on to (what the
   * applied state refers to, the commit followed): the history stays bounded
   * while every group keeps the transitions that explain where it stands.
   * Returns the ids removed.
   */
  async prune(endedBefore: Date, keep: (entry: JournalEntry) => boolean = () => false): Promise<string[]> {
    const cutoff = endedBefore.toISOString();
    const newest = new Set<string>();
    const removed: string[] = [];
    // Newest first: the first entry seen of each group is its newest.
    for (const e of await this.history()) {
      if (!newest.has(e.group)) {
        newest.add(e.group);
        continue;
      }
      if (!isFinal(e.status) || !e.endedAt || e.endedAt >= cutoff || keep(e)) continue;
      // Still in the log (its file not written yet): left for the next time.
      if (this.#queue.has(e.id)) continue;
      await rm(this.pathOf(e.id), { force: true });
      removed.push(e.id);
    }
    return removed;
  }

  /** Waits for the ended transitions' files, then closes the log; with `compact`, first folds it into open.json. */
  async close(options: { compact?: boolean } = {}): Promise<void> {
    if (!this.#open) return;
    const map = await this.#open;
    while (this.#draining) await this.#draining;
    if (options.compact) await map.compact();
    await map.close();
  }

  /** Queues an ended transition for its own file; the map forgets it once the file is on disk. */
  #archive(map: DurableMap<JournalPart>, entry: JournalEntry): void {
    this.#queue.set(entry.id, entry);
    this.#draining ??= this.#drain(map);
  }

  /** Writes the queued files, a batch at a time, with one sync of the folder per batch. */
  async #drain(map: DurableMap<JournalPart>): Promise<void> {
    // Let the transitions ending together (a wave) gather into one batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#queue.size) {
      const batch = [...this.#queue.values()];
      this.#queue.clear();
      try {
        await writeFilesAtomic(
          batch.map((e) => [this.pathOf(e.id), `${JSON.stringify(pack(e), null, 2)}\n`]),
        );
        // Forget only what nothing newer (`recover` adding its note) replaced meanwhile.
        const written = batch.filter(
          (e) => entryOf(map, e.id)?.status === e.status && !this.#queue.has(e.id),
        );
        await map.setMany(
          written.flatMap((e) => [[e.id, undefined] as const, [progressKey(e.id), undefined] as const]),
        );
      } catch (err) {
        // Left in the map: written again at the next look (listOpen).
        this.onArchiveFailed(
          err,
          batch.map((e) => e.id),
        );
      }
    }
    this.#draining = undefined;
  }

  async #file(id: string): Promise<JournalEntry | undefined> {
    const stored = await readJsonFile(
      this.pathOf(id),
      'restore it, or move it away and recover the group by hand',
    );
    return stored === undefined ? undefined : unpack(stored);
  }

  #map(): Promise<DurableMap<JournalPart>> {
    this.#open ??= this.#openMap();
    return this.#open;
  }

  async #openMap(): Promise<DurableMap<JournalPart>> {
    const path = join(this.dir, OPEN_FILE);
    const fresh = !(await exists(path)) && !(await exists(`${path}.log`));
    const map = await DurableMap.open(path, OPEN_CODEC);
    // A state folder from before the map kept each transition under way in its own file: take them over once.
    if (fresh) {
      const names = await readdir(this.dir).catch((err: unknown) => {
        if (isAbsent(err)) return [] as string[];
        throw stateFileError(this.dir, err, 'listed');
      });
      const legacy = await Promise.all(
        names.filter((n) => n.endsWith('.json')).map((n) => this.#file(n.slice(0, -5))),
      );
      const open = legacy.filter((e): e is JournalEntry => e !== undefined && !isFinal(e.status));
      if (open.length) await map.setMany(open.map((e) => [e.id, e] as const));
    }
    return map;
  }
}

const OPEN_FILE = 'open.json';

/** Whether `path` exists; only ENOENT is "no". Throws StateUnreadable for any other failure. */
async function exists(path: string): Promise<boolean> {
  return (await statIfPresent(path)) !== undefined;
}
