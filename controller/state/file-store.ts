import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { DurableMap, type SnapshotCodec } from './durable-map.js';
import { damaged } from './state-file.js';
import { readJsonFile } from './json-file.js';
import { Entries, jsonChunks } from './json-chunks.js';
import { EMPTY_RECORDS, type RolloutRecords } from './records.js';
import { type AppliedGroup, type AppliedState, NO_OPEN_STATUSES, type OpenStatuses } from './types.js';

/** Where the controller keeps what it has applied. */
export interface StateStore {
  /**
   * The applied state, or undefined when nothing was ever applied. Throws when
   * the stored state is unreadable. The object is the store's own view, shared
   * with every caller: read it, never change it. A later save through the same
   * store may bring its groups up to date in place; a caller that keeps it
   * while saving copies it (as the live controller does).
   */
  loadApplied(): Promise<AppliedState | undefined>;
  /** Replaces the applied state atomically. */
  /**
   * Stores `state`. With `changed`, only those groups can differ from what
   * is stored (a wave names its own groups), so the rest is not compared.
   */
  saveApplied(state: AppliedState, changed?: Iterable<string>): Promise<void>;
  /** The rollout records (empty when none were kept yet). */
  loadRecords(): Promise<RolloutRecords>;
  saveRecords(records: RolloutRecords): Promise<void>;
  /** The ring statuses written pending and not yet ended (see engine/ring-statuses.ts); empty when none. */
  loadOpenStatuses(): Promise<OpenStatuses>;
  /** Replaces them atomically; on disk before it returns. */
  saveOpenStatuses(open: OpenStatuses): Promise<void>;
}

/**
 * The default store: files in a state folder (`.ringmaster/` unless --state
 * says otherwise). The applied state is `applied.json` plus the log of its
 * changes, `applied.json.log` (see DurableMap): at 10,000 groups the state is
 * megabytes, and a wave changes a few dozen groups, so a wave appends a few
 * lines instead of rewriting the file. Another process (`ringmaster recover`)
 * appends to the same log; each load reads what it added.
 */
export class FileStateStore implements StateStore {
  readonly appliedPath: string;
  readonly recordsPath: string;
  readonly openStatusesPath: string;
  #map?: Promise<DurableMap<AppliedGroup | string>>;
  /**
   * The applied state last built from the map, kept up to date with this
   * store's own saves (rebuilding 10,000 groups at every look cost more than
   * the plan); dropped when another process changed the map.
   */
  #applied?: { -readonly [K in keyof AppliedState]: AppliedState[K] } & {
    groups: Record<string, AppliedGroup>;
  };

  constructor(readonly dir: string) {
    this.appliedPath = join(dir, 'applied.json');
    this.recordsPath = join(dir, 'records.json');
    this.openStatusesPath = join(dir, 'open-statuses.json');
  }

  async loadOpenStatuses(): Promise<OpenStatuses> {
    const stored = await readJsonFile(this.openStatusesPath);
    if (stored === undefined) return NO_OPEN_STATUSES;
    const open = stored as Partial<OpenStatuses>;
    const valid =
      open.version === 1 &&
      typeof open.commits === 'object' &&
      open.commits !== null &&
      Object.values(open.commits).every(
        (rings) => Array.isArray(rings) && rings.every((r) => typeof r === 'string'),
      );
    if (!valid) {
      throw new ConfigurationError(
        'StateUnreadable',
        `${this.openStatusesPath} is not Ringmaster's list of open commit statuses (version 1); move it away (the statuses it lists may then stay pending)`,
      );
    }
    return stored as OpenStatuses;
  }

  async saveOpenStatuses(open: OpenStatuses): Promise<void> {
    await writeFileAtomic(this.openStatusesPath, `${JSON.stringify(open, null, 2)}\n`);
  }

  async loadRecords(): Promise<RolloutRecords> {
    const records = await readJsonFile(this.recordsPath);
    if (records === undefined) return EMPTY_RECORDS;
    const r = records as Partial<RolloutRecords>;
    if (r.version !== 1 || !Array.isArray(r.rings)) {
      throw new ConfigurationError(
        'StateUnreadable',
        `records file ${this.recordsPath} is not Ringmaster rollout records (version 1); restore it from a backup`,
      );
    }
    return records as RolloutRecords;
  }

  async saveRecords(records: RolloutRecords): Promise<void> {
    await writeFileAtomic(this.recordsPath, `${JSON.stringify(records, null, 2)}\n`);
  }

  async loadApplied(): Promise<AppliedState | undefined> {
    const map = await this.#open();
    if ((await map.refresh()) || !this.#applied) this.#applied = fromEntries(map.entries);
    return this.#applied;
  }

  /** Writes the groups whose object differs from the one stored (and removes those gone): a wave writes its own. */
  async saveApplied(state: AppliedState, changed?: Iterable<string>): Promise<void> {
    const map = await this.#open();
    const changes: [string, AppliedGroup | string | undefined][] = [];
    if (map.get(CONSTELLATION) !== state.constellation) changes.push([CONSTELLATION, state.constellation]);
    const names = changed ? new Set(changed) : new Set([...map.entries.keys(), ...Object.keys(state.groups)]);
    for (const name of names) {
      if (name === CONSTELLATION) continue;
      const group = Object.hasOwn(state.groups, name) ? state.groups[name] : undefined;
      if (map.get(name) !== group) changes.push([name, group]);
    }
    // The cache takes the changes, not the caller's object: the caller may go on changing it (a reconcile
    // does, wave by wave).
    const cached = this.#applied;
    if (cached) {
      for (const [name, group] of changes) {
        if (name === CONSTELLATION) cached.constellation = group as string;
        else if (group === undefined) delete cached.groups[name];
        else cached.groups[name] = asWritten(group as AppliedGroup);
      }
    }
    await map.setMany(changes);
  }

  /** Closes the log; with `compact`, first folds it into applied.json, so a stopped controller leaves one plain file. */
  async close(options: { compact?: boolean } = {}): Promise<void> {
    if (!this.#map) return;
    const map = await this.#map;
    if (options.compact) await map.compact();
    await map.close();
  }

  #open(): Promise<DurableMap<AppliedGroup | string>> {
    this.#map ??= DurableMap.open(this.appliedPath, APPLIED_CODEC);
    return this.#map;
  }
}

/** The key of the constellation's name in the map; every other key is a group name, which is never empty. */
const CONSTELLATION = '';

function fromEntries(entries: ReadonlyMap<string, AppliedGroup | string>): AppliedState | undefined {
  const constellation = entries.get(CONSTELLATION);
  if (typeof constellation !== 'string') return undefined;
  return { version: 1, constellation, groups: Object.fromEntries(groupsOf(entries)) };
}

/** The groups of the map, as this version writes them. */
function* groupsOf(entries: ReadonlyMap<string, AppliedGroup | string>): Generator<[string, AppliedGroup]> {
  for (const [name, group] of entries)
    if (name !== CONSTELLATION) yield [name, asWritten(group as AppliedGroup)];
}

/**
 * A group as this version writes it. Earlier versions stored a group whose first
 * deployment failed with the snapshot it failed to reach (and no commit), which
 * read as deployed; that snapshot is dropped.
 */
function asWritten(group: AppliedGroup): AppliedGroup {
  if (group.commit !== '' || !group.snapshot) return group;
  const { snapshot: _never, ...rest } = group;
  return rest;
}

/** applied.json as it always was: `{ version: 1, constellation, groups }`, compact (it is for the controller). */
const APPLIED_CODEC: SnapshotCodec<AppliedGroup | string> = {
  decode(text, path) {
    const entries = new Map<string, AppliedGroup | string>();
    if (text === undefined) return entries;
    let state: unknown;
    try {
      state = JSON.parse(text);
    } catch (err) {
      throw damaged(path, 'valid JSON', err);
    }
    if (!isAppliedState(state)) throw damaged(path, 'a Ringmaster applied state (version 1)');
    entries.set(CONSTELLATION, state.constellation);
    for (const [name, group] of Object.entries(state.groups)) entries.set(name, group);
    return entries;
  },
  encode(entries) {
    const constellation = entries.get(CONSTELLATION);
    if (typeof constellation !== 'string') return undefined;
    return jsonChunks({ version: 1, constellation, groups: new Entries(groupsOf(entries)) }, 0);
  },
};

function isAppliedState(value: unknown): value is AppliedState {
  const v = value as Partial<AppliedState> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    typeof v.constellation === 'string' &&
    typeof v.groups === 'object' &&
    v.groups !== null
  );
}
