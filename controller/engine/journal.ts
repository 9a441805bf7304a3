/**
 * The durable journal of transitions: each step is recorded before it runs and
 * after it ends, so a restarted controller knows exactly where every
 * transition stood.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { StepName } from '../providers/ports.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { DurableMap, type SnapshotCodec, damaged } from '../state/durable-map.js';
import { readJsonFile } from '../state/json-file.js';
import type { GroupSnapshot } from '../state/types.js';
import type { TransitionTarget } from './steps.js';

export type StepStatus = 'started' | 'done' | 'failed' | 'compensating' | 'compensated';

/** One step of a transition as it happened. */
export interface StepRecord {
  readonly name: StepName;
  readonly status: StepStatus;
  readonly attempts: number;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly error?: string;
  /** Side data for diagnosis and for resuming (for example which colour is new). */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** running and rolling-back are in progress; waiting comes back later; the rest are final. */
export type TransitionStatus =
  'running' | 'waiting' | 'rolling-back' | 'succeeded' | 'rolled-back' | 'emergency';

export interface JournalEntry {
  readonly id: string;
  readonly group: string;
  readonly ring: string;
  readonly commit: string;
  readonly from?: GroupSnapshot;
  readonly to?: GroupSnapshot;
  readonly status: TransitionStatus;
  readonly steps: readonly StepRecord[];
  readonly startedAt: string;
  readonly endedAt?: string;
  /** Why the transition waits, failed or needs a human. */
  readonly reason?: string;
  /** Everything the steps need, so a resumed transition does not depend on the desired state of a newer commit. */
  readonly target?: TransitionTarget;
  /** How a human resolved an emergency (`ringmaster recover`). */
  readonly recovery?: { readonly to: 'previous' | 'target'; readonly at: string };
}

/** True for the statuses a transition never leaves. */
export function isFinal(status: TransitionStatus): boolean {
  return status === 'succeeded' || status === 'rolled-back' || status === 'emergency';
}

/** Where journals live. */
export interface JournalStore {
  load(id: string): Promise<JournalEntry | undefined>;
  save(entry: JournalEntry): Promise<void>;
  /** Every journal that is not final: what a restarted controller must resume. */
  listOpen(): Promise<JournalEntry[]>;
}

/**
 * Journals in a folder. A transition under way is a key of a DurableMap
 * (`open.json` and its log `open.json.log`): its seven or so writes are lines
 * in one log, synced together with those of every transition running beside
 * it. A transition that ended is written once, whole, to `<transition id>.json`,
 * and leaves the map; so the map stays as small as the work under way.
 */
export class FileJournalStore implements JournalStore {
  #open?: Promise<DurableMap<JournalEntry>>;

  constructor(readonly dir: string) {}

  private pathOf(id: string): string {
    if (!/^[a-z0-9][-a-z0-9]*@[0-9a-f]{7,64}$/.test(id))
      throw new ConfigurationError('BadTransitionId', `"${id}" is not a transition id (<group>@<commit>)`);
    return join(this.dir, `${id}.json`);
  }

  async load(id: string): Promise<JournalEntry | undefined> {
    this.pathOf(id);
    const map = await this.#map();
    await map.refresh();
    return map.get(id) ?? this.#file(id);
  }

  async save(entry: JournalEntry): Promise<void> {
    const path = this.pathOf(entry.id);
    const map = await this.#map();
    if (!isFinal(entry.status)) return map.set(entry.id, entry);
    // The file first: until the map forgets the transition, the file is what says it ended.
    await writeFileAtomic(path, `${JSON.stringify(entry, null, 2)}\n`);
    if (map.get(entry.id)) await map.set(entry.id, undefined);
  }

  async listOpen(): Promise<JournalEntry[]> {
    const map = await this.#map();
    await map.refresh();
    const open = [...map.entries.values()];
    // A crash between writing an ended transition's file and forgetting it leaves both: the file wins.
    const ended = await Promise.all(
      open.map(async (e) => isFinal((await this.#file(e.id))?.status ?? 'running')),
    );
    const gone = open.filter((_, i) => ended[i]);
    if (gone.length) await map.setMany(gone.map((e) => [e.id, undefined] as const));
    return open.filter((_, i) => !ended[i]);
  }

  /** Closes the log; with `compact`, first folds it into open.json. */
  async close(options: { compact?: boolean } = {}): Promise<void> {
    if (!this.#open) return;
    const map = await this.#open;
    if (options.compact) await map.compact();
    await map.close();
  }

  async #file(id: string): Promise<JournalEntry | undefined> {
    return (await readJsonFile(
      this.pathOf(id),
      'restore it, or move it away and recover the group by hand',
    )) as JournalEntry | undefined;
  }

  #map(): Promise<DurableMap<JournalEntry>> {
    this.#open ??= this.#openMap();
    return this.#open;
  }

  async #openMap(): Promise<DurableMap<JournalEntry>> {
    const path = join(this.dir, OPEN_FILE);
    const fresh = !(await exists(path)) && !(await exists(`${path}.log`));
    const map = await DurableMap.open(path, OPEN_CODEC);
    // A state folder from before the map kept each transition under way in its own file: take them over once.
    if (fresh) {
      const names = await readdir(this.dir).catch(() => [] as string[]);
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

/** open.json: `{ version: 1, journals: { <transition id>: entry } }`. */
const OPEN_CODEC: SnapshotCodec<JournalEntry> = {
  decode(text, path) {
    const entries = new Map<string, JournalEntry>();
    if (text === undefined) return entries;
    let data: { version?: unknown; journals?: unknown };
    try {
      data = JSON.parse(text) as typeof data;
    } catch (err) {
      throw damaged(path, 'valid JSON', err);
    }
    if (data?.version !== 1 || typeof data.journals !== 'object' || data.journals === null)
      throw damaged(path, 'the journals of transitions under way (version 1)');
    for (const [id, entry] of Object.entries(data.journals)) entries.set(id, entry as JournalEntry);
    return entries;
  },
  encode(entries) {
    return `${JSON.stringify({ version: 1, journals: Object.fromEntries(entries) }, null, 2)}\n`;
  },
};

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: { code?: unknown }) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}
