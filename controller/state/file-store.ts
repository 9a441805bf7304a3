import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
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

  constructor(readonly dir: string) {
    this.appliedPath = join(dir, 'applied.json');
    this.recordsPath = join(dir, 'records.json');
  }

  async loadRecords(): Promise<RolloutRecords> {
    const records = await readJson(this.recordsPath);
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
    const state = await readJson(this.appliedPath);
    if (state === undefined) return undefined;
    if (!isAppliedState(state)) {
      throw new ConfigurationError(
        'StateUnreadable',
        `state file ${this.appliedPath} is not a Ringmaster applied state (version 1); restore it from a backup`,
      );
    }
    return state;
  }

  async saveApplied(state: AppliedState): Promise<void> {
    await writeFileAtomic(this.appliedPath, `${JSON.stringify(state, null, 2)}\n`);
  }
}

/** Parses a JSON state file; undefined when it does not exist. Never starts from nothing on a damaged file: that would re-apply every group. */
async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigurationError(
      'StateUnreadable',
      `state file ${path} is not valid JSON; restore it from a backup or move it away to start afresh`,
      { cause: err },
    );
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
