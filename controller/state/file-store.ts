import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import type { AppliedState } from './types.js';

/** Where the controller keeps what it has applied. */
export interface StateStore {
  /** The applied state, or undefined when nothing was ever applied. Throws when the stored state is unreadable. */
  loadApplied(): Promise<AppliedState | undefined>;
  /** Replaces the applied state atomically. */
  saveApplied(state: AppliedState): Promise<void>;
}

/** The default store: JSON files in a state folder (`.ringmaster/` unless --state says otherwise). */
export class FileStateStore implements StateStore {
  readonly appliedPath: string;

  constructor(readonly dir: string) {
    this.appliedPath = join(dir, 'applied.json');
  }

  async loadApplied(): Promise<AppliedState | undefined> {
    let text: string;
    try {
      text = await readFile(this.appliedPath, 'utf8');
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
      throw err;
    }
    let state: unknown;
    try {
      state = JSON.parse(text);
    } catch (err) {
      // Never start from nothing on a damaged file: that would re-apply every group.
      throw new ConfigurationError(
        'StateUnreadable',
        `state file ${this.appliedPath} is not valid JSON; restore it from a backup or move it away to start afresh`,
        { cause: err },
      );
    }
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
