/**
 * The journal's file store: where `JournalStore` (engine/journal.ts) keeps
 * the journals of transitions when the state lives in a folder.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type HistoryFilter, type JournalEntry, type JournalStore, isFinal } from '../engine/journal.js';
import { ConfigurationError } from '../errors.js';
import { writeFilesAtomic } from './atomic-file.js';
import { DurableMap, type SnapshotCodec, damaged } from './durable-map.js';
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

/** What changes as a transition goes on; the rest of its entry is written once. */
const PROGRESS_KEYS = ['status', 'steps', 'endedAt', 'reason', 'until', 'since', 'recovery'] as const;
type Progress = Pick<JournalEntry, (typeof PROGRESS_KEYS)[number]>;
type JournalPart = JournalEntry | Progress;

/** Map keys: `<id>` holds the entry as first written, `<id>/progress` what changed since (ids have no slash). */
const PROGRESS = '/progress';
const progressKey = (id: string) => `${id}${PROGRESS}`;

function progressOf(entry: JournalEntry): Progress {
  return Object.fromEntries(PROGRESS_KEYS.map((k) => [k, entry[k]])) as unknown as Progress;
}

/** True when `entry` keeps every part of `base` that is written once (the same objects, so no deep compare). */
function sameOnceWritten(base: JournalEntry, entry: JournalEntry): boolean {
  const keys = new Set([...Object.keys(base), ...Object.keys(entry)]);
  for (const k of keys) {
    if ((PROGRESS_KEYS as readonly string[]).includes(k)) continue;
    if (base[k as keyof JournalEntry] !== entry[k as keyof JournalEntry]) return false;
  }
  return true;
}

/** The entry of `id` in the map: as first written, with its progress since. */
function entryOf(map: Pick<ReadonlyMap<string, JournalPart>, 'get'>, id: string): JournalEntry | undefined {
  const base = map.get(id) as JournalEntry | undefined;
  if (!base) return undefined;
  const progress = map.get(progressKey(id)) as Progress | undefined;
  if (!progress) return base;
  const merged: Record<string, unknown> = { ...base };
  for (const k of PROGRESS_KEYS) {
    if (progress[k] === undefined) delete merged[k];
    else merged[k] = progress[k];
  }
  return merged as unknown as JournalEntry;
}

/**
 * An entry as written. The planned transition in its target repeats the
 * entry's `from` and `to`; the target's tenants are those of `to` (of `from`
 * for a removal); and `to` mostly keeps the tenants and resources of `from`
 * (a new release changes neither): every tenant up to four times over. Each
 * is written once, and given back on reading: a `to` without tenants or
 * resources has those of `from`, a target without tenants those of its
 * transition. (Entries of earlier versions, which wrote them all, read as
 * they were written.)
 */
function pack(entry: JournalEntry): unknown {
  const { from, to } = entry;
  const packedTo = to && from ? withoutRepeated(to, from) : to;
  if (!entry.target) return { ...entry, to: packedTo };
  const { from: _from, to: _to, ...planned } = entry.target.planned;
  const { tenants, ...target } = entry.target;
  const repeated = tenants === tenantsOf(entry);
  return { ...entry, to: packedTo, target: { ...target, ...(repeated ? {} : { tenants }), planned } };
}

function unpack(stored: unknown): JournalEntry {
  const written = stored as JournalEntry;
  const { from, to } = written;
  const entry =
    to && from
      ? {
          ...written,
          to: { ...to, tenants: to.tenants ?? from.tenants, resources: to.resources ?? from.resources },
        }
      : written;
  if (!entry.target) return entry;
  const planned = { ...entry.target.planned, from: entry.from, to: entry.to };
  const tenants = entry.target.tenants ?? tenantsOf(entry);
  return { ...entry, target: { ...entry.target, tenants, planned } };
}

type Snapshot = NonNullable<JournalEntry['to']>;

/** `to` without the tenants and resources it shares with `from` (the very same lists, as planning makes them). */
function withoutRepeated(to: Snapshot, from: Snapshot): Partial<Snapshot> {
  const { tenants, resources, ...rest } = to;
  return {
    ...rest,
    ...(tenants === from.tenants ? {} : { tenants }),
    ...(resources === from.resources ? {} : { resources }),
  };
}

/** The tenants a transition's target runs: those of its `to`, or of its `from` for a removal. */
function tenantsOf(entry: JournalEntry): NonNullable<JournalEntry['target']>['tenants'] | undefined {
  return (entry.to ?? entry.from)?.tenants;
}

/** A map value as written: an entry packed, progress as it is. */
const LINE = {
  pack: (part: JournalPart) => ('id' in part ? pack(part) : part),
  unpack: (stored: unknown) => ('id' in (stored as object) ? unpack(stored) : (stored as Progress)),
};

/** open.json: `{ version: 1, journals: { <transition id>: entry } }`. */
const OPEN_CODEC: SnapshotCodec<JournalPart> = {
  decode(text, path) {
    const entries = new Map<string, JournalPart>();
    if (text === undefined) return entries;
    let data: { version?: unknown; journals?: unknown };
    try {
      data = JSON.parse(text) as typeof data;
    } catch (err) {
      throw damaged(path, 'valid JSON', err);
    }
    if (data?.version !== 1 || typeof data.journals !== 'object' || data.journals === null)
      throw damaged(path, 'the journals of transitions under way (version 1)');
    for (const [id, entry] of Object.entries(data.journals)) entries.set(id, unpack(entry));
    return entries;
  },
  line: LINE,
  encode(entries) {
    const journals: Record<string, JournalEntry> = {};
    for (const key of entries.keys())
      if (!key.endsWith(PROGRESS)) journals[key] = pack(entryOf(entries, key)!) as JournalEntry;
    return [`${JSON.stringify({ version: 1, journals }, null, 2)}\n`];
  },
};

/** Whether `path` exists; only ENOENT is "no". Throws StateUnreadable for any other failure. */
async function exists(path: string): Promise<boolean> {
  return (await statIfPresent(path)) !== undefined;
}
