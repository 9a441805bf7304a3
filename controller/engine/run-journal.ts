/**
 * The journal entry of one run of a transition: changed in memory, and on
 * disk before each save returns (see run-transition.ts).
 */
import type { EngineDeps, TransitionOutcome } from './run-transition.js';
import type { StepName } from './step-names.js';
import type { JournalEntry, StepRecord } from './journal.js';
import type { Recorded, TransitionTarget } from './steps.js';

/** What a run's journal writes to and tells. */
type JournalDeps = Pick<EngineDeps, 'journal' | 'onProgress' | 'now'>;

export class RunJournal {
  #entry: JournalEntry;
  /** The wait this run resumes, if it resumes one: waiting there again is the same wait, since the same time. */
  readonly resumedWait?: Pick<JournalEntry, 'reason' | 'since'>;

  private constructor(
    entry: JournalEntry,
    private readonly deps: JournalDeps,
  ) {
    this.#entry = entry;
    if (entry.status === 'waiting') this.resumedWait = { reason: entry.reason, since: entry.since };
  }

  /** The journal of `t` as it stands, or a new one (not written yet) when it has none. */
  static async open(t: TransitionTarget, deps: JournalDeps): Promise<RunJournal> {
    return new RunJournal((await deps.journal.load(t.planned.id)) ?? newEntry(t, deps.now()), deps);
  }

  get entry(): JournalEntry {
    return this.#entry;
  }

  record(name: StepName): StepRecord | undefined {
    return this.#entry.steps.find((s) => s.name === name);
  }

  /** What the steps recorded, by step, for the steps and undos that read it. */
  recorded(): Recorded {
    return Object.fromEntries(this.#entry.steps.filter((s) => s.data).map((s) => [s.name, s.data!]));
  }

  /** Records `record` (and `change`) in the journal, on disk before it returns. */
  async putStep(record: StepRecord, change: Partial<JournalEntry> = {}): Promise<void> {
    this.setStep(record);
    await this.save(change);
  }

  /** Records `record` in memory only: the next save writes it. */
  setStep(record: StepRecord): void {
    const steps = this.#entry.steps.some((s) => s.name === record.name)
      ? this.#entry.steps.map((s) => (s.name === record.name ? record : s))
      : [...this.#entry.steps, record];
    this.#entry = { ...this.#entry, steps };
  }

  /** Applies `change` (with `since`, when the status changes) and writes the entry. */
  async save(change: Partial<JournalEntry>): Promise<void> {
    const waitingAgain =
      change.status === 'waiting' && this.resumedWait && change.reason === this.resumedWait.reason;
    const since = waitingAgain
      ? this.resumedWait!.since
      : change.status && change.status !== this.#entry.status
        ? this.now()
        : this.#entry.since;
    this.#entry = { ...this.#entry, ...change, since };
    await this.deps.journal.save(this.#entry);
    this.deps.onProgress?.(this.#entry);
  }

  now(): string {
    return this.deps.now().toISOString();
  }

  outcome(): TransitionOutcome {
    return { status: this.#entry.status, reason: this.#entry.reason, entry: this.#entry };
  }
}

function newEntry(t: TransitionTarget, now: Date): JournalEntry {
  const p = t.planned;
  return {
    id: p.id,
    group: p.group,
    ring: p.ring,
    commit: p.commit,
    from: p.from,
    to: p.to,
    status: 'running',
    steps: [],
    startedAt: now.toISOString(),
    target: t,
  };
}
