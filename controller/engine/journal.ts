/**
 * The durable journal of transitions: each step is recorded before it runs and
 * after it ends, so a restarted controller knows exactly where every
 * transition stood. One JSON file per transition, written atomically.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { StepName } from '../providers/ports.js';
import { writeFileAtomic } from '../state/atomic-file.js';
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

/** Journals as files `<dir>/<transition id>.json`. */
export class FileJournalStore implements JournalStore {
  constructor(readonly dir: string) {}

  private pathOf(id: string): string {
    if (!/^[a-z0-9][-a-z0-9]*@[0-9a-f]{7,64}$/.test(id))
      throw new ConfigurationError('BadTransitionId', `"${id}" is not a transition id (<group>@<commit>)`);
    return join(this.dir, `${id}.json`);
  }

  async load(id: string): Promise<JournalEntry | undefined> {
    const entry = await readJsonFile(
      this.pathOf(id),
      'restore it, or move it away and recover the group by hand',
    );
    return entry as JournalEntry | undefined;
  }

  async save(entry: JournalEntry): Promise<void> {
    await writeFileAtomic(this.pathOf(entry.id), `${JSON.stringify(entry, null, 2)}\n`);
  }

  async listOpen(): Promise<JournalEntry[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries = await Promise.all(
      names.filter((n) => n.endsWith('.json')).map((n) => this.load(n.slice(0, -5))),
    );
    return entries.filter((e): e is JournalEntry => e !== undefined && !isFinal(e.status));
  }
}
