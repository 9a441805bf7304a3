/**
 * How the journal's file store (journal-store.ts) writes an entry: in the map
 * of transitions under way, `<id>` holds the entry as first written and
 * `<id>/progress` what changed since; an entry, there and in its own file,
 * leaves out what it repeats (see pack).
 */
import type { JournalEntry } from '../engine/journal.js';
import type { SnapshotCodec } from './durable-map.js';
import { damaged } from './state-file.js';

/** What changes as a transition goes on; the rest of its entry is written once. */
export const PROGRESS_KEYS = ['status', 'steps', 'endedAt', 'reason', 'until', 'since', 'recovery'] as const;
export type Progress = Pick<JournalEntry, (typeof PROGRESS_KEYS)[number]>;
export type JournalPart = JournalEntry | Progress;

/** Map keys: `<id>` holds the entry as first written, `<id>/progress` what changed since (ids have no slash). */
export const PROGRESS = '/progress';
export const progressKey = (id: string) => `${id}${PROGRESS}`;

export function progressOf(entry: JournalEntry): Progress {
  return Object.fromEntries(PROGRESS_KEYS.map((k) => [k, entry[k]])) as unknown as Progress;
}

/** True when `entry` keeps every part of `base` that is written once (the same objects, so no deep compare). */
export function sameOnceWritten(base: JournalEntry, entry: JournalEntry): boolean {
  const keys = new Set([...Object.keys(base), ...Object.keys(entry)]);
  for (const k of keys) {
    if ((PROGRESS_KEYS as readonly string[]).includes(k)) continue;
    if (base[k as keyof JournalEntry] !== entry[k as keyof JournalEntry]) return false;
  }
  return true;
}

/** The entry of `id` in the map: as first written, with its progress since. */
export function entryOf(
  map: Pick<ReadonlyMap<string, JournalPart>, 'get'>,
  id: string,
): JournalEntry | undefined {
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
export function pack(entry: JournalEntry): unknown {
  const { from, to } = entry;
  const packedTo = to && from ? withoutRepeated(to, from) : to;
  if (!entry.target) return { ...entry, to: packedTo };
  const { from: _from, to: _to, ...planned } = entry.target.planned;
  const { tenants, ...target } = entry.target;
  const repeated = tenants === tenantsOf(entry);
  return { ...entry, to: packedTo, target: { ...target, ...(repeated ? {} : { tenants }), planned } };
}

export function unpack(stored: unknown): JournalEntry {
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
export const OPEN_CODEC: SnapshotCodec<JournalPart> = {
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
