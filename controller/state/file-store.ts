import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { readJsonFile } from './json-file.js';
import { EMPTY_RECORDS, type RolloutRecords } from './records.js';
import type { AppliedState } from './types.js';

/** Where the controller keeps what it has applied. */
export interface StateStore {
  /** The applied state, or undefined when nothing was ever applied. Throws when the stored state is unreadable. */
  loadApplied(): Promise<AppliedState | undefined>;
  /** Replaces the applied state atomically. */
  saveApplied(state: AppliedState): Promise<void>;
  /** The rollout records (empty when none were kept yet). */
  loadRecords(): Promise<RolloutRecords>;
  saveRecords(records: RolloutRecords): Promise<void>;
}

/** The default store: JSON files in a state folder (`.ringmaster/` unless --state says otherwise). */
export class FileStateStore implements StateStore {
  readonly appliedPath: string;
  readonly recordsPath: string;
  /**
   * The applied state as last read or written, with the identity of its file:
   * at 10,000 groups the file is megabytes, and most looks find it unchanged.
   * Another process (`ringmaster recover`) replaces the file by renaming, which
   * changes the identity, so its writes are seen.
   */
  #applied?: { readonly identity: string; readonly state: AppliedState };

  constructor(readonly dir: string) {
    this.appliedPath = join(dir, 'applied.json');
    this.recordsPath = join(dir, 'records.json');
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
    const identity = await fileIdentity(this.appliedPath);
    if (identity === undefined) return undefined;
    if (this.#applied?.identity === identity) return this.#applied.state;
    const state = await readJsonFile(this.appliedPath);
    if (state === undefined) return undefined;
    if (!isAppliedState(state)) {
      throw new ConfigurationError(
        'StateUnreadable',
        `state file ${this.appliedPath} is not a Ringmaster applied state (version 1); restore it from a backup`,
      );
    }
    this.#applied = { identity, state };
    return state;
  }

  async saveApplied(state: AppliedState): Promise<void> {
    this.#applied = undefined;
    // Compact: the file is for the controller; `ringmaster status --json` is for people.
    await writeFileAtomic(this.appliedPath, `${JSON.stringify(state)}\n`);
    const identity = await fileIdentity(this.appliedPath);
    if (identity !== undefined) this.#applied = { identity, state };
  }
}

/** What changes whenever the file is replaced or rewritten; undefined when it does not exist. */
async function fileIdentity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
}

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
