/**
 * Keeps the controller's history bounded: once a day (on the controller's
 * clock) the journal forgets transitions that ended more than `keepMs` ago
 * and the commit log the commits seen before then. Never forgotten: a
 * group's newest transition, the transitions the applied state refers to
 * (the commit a group runs or is held for, its emergency, its last database
 * snapshot) and those of the commit followed, so every page and command
 * still explains where each group stands.
 */
import type { Logger } from 'pino';
import type { JournalEntry } from '../engine/journal.js';
import type { CommitLog } from '../state/commit-log.js';
import type { StateStore } from '../state/file-store.js';
import type { FileJournalStore } from '../state/journal-store.js';
import type { AppliedState } from '../state/types.js';
import type { Clock } from './clock.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long the history is kept unless told otherwise: 90 days. */
export const DEFAULT_KEEP_HISTORY_DAYS = 90;

export interface HistoryRetentionDeps {
  readonly journal: Pick<FileJournalStore, 'prune'>;
  readonly commits: Pick<CommitLog, 'prune'>;
  readonly state: Pick<StateStore, 'loadApplied'>;
  readonly clock: Clock;
  readonly log: Logger;
  /** How long ended transitions and commits seen are kept, in milliseconds. */
  readonly keepMs: number;
}

/** See the module comment. */
export class HistoryRetention {
  readonly #deps: HistoryRetentionDeps;
  #last?: number;
  #running?: Promise<void>;

  constructor(deps: HistoryRetentionDeps) {
    this.#deps = deps;
  }

  /** Prunes in the background when a day has passed since the last time (or never was); never two at once. */
  tick(followed: string): void {
    const now = this.#deps.clock.now().getTime();
    if (this.#running || (this.#last !== undefined && now - this.#last < DAY_MS)) return;
    this.#last = now;
    this.#running = this.prune(followed)
      .catch((err: unknown) => this.#deps.log.warn({ err }, 'History not pruned; tried again tomorrow'))
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Resolves once a prune under way has ended. */
  async settled(): Promise<void> {
    await this.#running;
  }

  /** Prunes now; see the module comment. */
  async prune(followed: string): Promise<void> {
    const { journal, commits, state, clock, log, keepMs } = this.#deps;
    const before = new Date(clock.now().getTime() - keepMs);
    const kept = referenced(await state.loadApplied());
    const keep = (e: JournalEntry) => e.commit === followed || kept.has(e.id);
    const transitions = await journal.prune(before, keep);
    const forgotten = await commits.prune(before);
    if (transitions.length || forgotten)
      log.info(
        { transitions: transitions.length, commits: forgotten, before: before.toISOString() },
        'History pruned',
      );
  }
}

/** The transition ids the applied state refers to. */
function referenced(applied: AppliedState | undefined): Set<string> {
  const ids = new Set<string>();
  for (const g of Object.values(applied?.groups ?? {})) {
    if (g.commit) ids.add(`${g.name}@${g.commit.slice(0, 12)}`);
    if (g.held) ids.add(`${g.name}@${g.held.commit.slice(0, 12)}`);
    if (g.emergency) ids.add(g.emergency.transition);
    if (g.backup) ids.add(g.backup.transition);
  }
  return ids;
}
