/**
 * A StatusReporter that spares GitHub the progress chatter. A ring rollout
 * over 500 groups reports its ring context after every wave ("broad: 150/500
 * groups on 2026.11.2"); GitHub allows about 80 content-creating requests a
 * minute (500 an hour) and keeps at most 1000 statuses per commit and context.
 * So the number of writes must grow with rings and failures, not with groups:
 * a change of state (pending to success, failure, error) is written at once,
 * while a new description under the same state is written at most once per
 * interval, the latest one winning and those in between dropped.
 */
import type { Logger } from 'pino';
import { type CommitStatus, type RecordedStatus, type StatusReporter, validateStatus } from './reporter.js';

/** Default least time between two writes of one commit and context that only change the description. */
export const DEFAULT_COALESCE_INTERVAL_MS = 10_000;

/** How many (commit, context) slots are remembered by default; idle ones beyond are forgotten. */
export const DEFAULT_COALESCE_SLOTS = 2000;

/** A scheduled callback that can be cancelled. */
export interface TimerHandle {
  clear(): void;
}

/**
 * Calls `callback` once after `delayMs`. The callback resolves when the
 * deferred write settled and never rejects, so a test's timer can await it.
 */
export type TimerFactory = (callback: () => Promise<void>, delayMs: number) => TimerHandle;

/** Options of a CoalescingReporter. */
export interface CoalescingReporterOptions {
  /** Failures of deferred writes are logged here at warn. */
  readonly log: Logger;
  /** Least milliseconds between description-only writes of one (commit, context); default 10 000. */
  readonly intervalMs?: number;
  /** Clock in epoch milliseconds; default Date.now. */
  readonly now?: () => number;
  /** Default: setTimeout, unref'd so a waiting status never keeps the process alive (call `flush`). */
  readonly setTimer?: TimerFactory;
  /** (commit, context) pairs remembered; idle ones beyond are forgotten, oldest first; default 2000. */
  readonly maxSlots?: number;
}

/** What is known of one (commit, context). */
interface Slot {
  readonly commit: string;
  /** The last status handed to the inner reporter successfully. */
  written?: CommitStatus;
  /** When it was handed over (epoch ms). */
  writtenAt: number;
  /** The latest status waiting for the interval to pass. */
  waiting?: CommitStatus;
  timer?: TimerHandle;
  /** Tail of this slot's operations: one at a time, so each decision sees the last write. */
  queue: Promise<unknown>;
}

const realTimer: TimerFactory = (callback, delayMs) => {
  const timer = setTimeout(() => void callback(), delayMs);
  timer.unref();
  return { clear: () => clearTimeout(timer) };
};

/**
 * Wraps a StatusReporter, per (commit, context):
 *
 * - the first status, and any whose state differs from the last written, is
 *   written at once (errors reach the caller), dropping whatever was waiting;
 * - a status with the last written state and description is not written
 *   (returns false) and cancels anything waiting;
 * - a status with the same state and a new description is written at once when
 *   `intervalMs` has passed since the last write, else it waits (replacing the
 *   one waiting) and a timer writes it when the interval has passed. Returns true.
 *
 * A deferred write that fails is logged at warn and stays waiting for the next
 * report or `flush`; it never becomes an unhandled rejection. `list` and
 * `latest` delegate, so they do not show what is waiting.
 */
export class CoalescingReporter implements StatusReporter {
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly setTimer: TimerFactory;
  private readonly maxSlots: number;
  private readonly slots = new Map<string, Slot>();
  private closed = false;

  constructor(
    private readonly inner: StatusReporter,
    options: CoalescingReporterOptions,
  ) {
    this.log = options.log;
    this.intervalMs = options.intervalMs ?? DEFAULT_COALESCE_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? realTimer;
    this.maxSlots = options.maxSlots ?? DEFAULT_COALESCE_SLOTS;
  }

  async report(commit: string, status: CommitStatus): Promise<boolean> {
    validateStatus(status);
    const slot = this.getSlot(commit, status.context);
    return this.inSlot(slot, () => this.decide(slot, status));
  }

  list(commit: string): Promise<RecordedStatus[]> {
    return this.inner.list(commit);
  }

  latest(commit: string): Promise<Map<string, RecordedStatus>> {
    return this.inner.latest(commit);
  }

  /**
   * Writes every waiting status now. Resolves when all were tried; each failure
   * is logged at warn and stays waiting, and the first one is then thrown.
   */
  async flush(): Promise<void> {
    const slots = [...this.slots.values()].filter((s) => s.waiting);
    const results = await Promise.all(slots.map((slot) => this.inSlot(slot, () => this.writeWaiting(slot))));
    const failure = results.find((r) => r !== undefined);
    if (failure) throw failure.err;
  }

  /** Cancels every timer; waiting statuses stay for `flush`, and no new timer is started. */
  close(): void {
    this.closed = true;
    for (const slot of this.slots.values()) {
      slot.timer?.clear();
      slot.timer = undefined;
    }
  }

  private async decide(slot: Slot, status: CommitStatus): Promise<boolean> {
    const last = slot.written;
    if (last && last.state === status.state && last.description === status.description) {
      this.cancelWaiting(slot);
      return false;
    }
    const due = slot.writtenAt + this.intervalMs;
    if (!last || last.state !== status.state || this.now() >= due) {
      this.cancelWaiting(slot);
      return this.write(slot, status);
    }
    slot.waiting = status;
    if (!slot.timer && !this.closed) slot.timer = this.setTimer(() => this.onTimer(slot), due - this.now());
    return true;
  }

  private async write(slot: Slot, status: CommitStatus): Promise<boolean> {
    const wrote = await this.inner.report(slot.commit, status);
    slot.written = status;
    slot.writtenAt = this.now();
    return wrote;
  }

  private onTimer(slot: Slot): Promise<void> {
    slot.timer = undefined;
    return this.inSlot(slot, () => this.writeWaiting(slot)).then(() => undefined);
  }

  /** Writes the slot's waiting status, if any; a failure is logged and returned, never thrown. */
  private async writeWaiting(slot: Slot): Promise<{ err: unknown } | undefined> {
    const status = slot.waiting;
    if (!status) return undefined;
    try {
      slot.timer?.clear();
      slot.timer = undefined;
      await this.write(slot, status);
      // Reports of this slot wait in its queue, so what is waiting is still `status`.
      slot.waiting = undefined;
      return undefined;
    } catch (err) {
      this.log.warn(
        { err, commit: slot.commit, context: status.context },
        'Deferred commit status write failed; it is tried again on the next report or flush',
      );
      return { err };
    }
  }

  private cancelWaiting(slot: Slot): void {
    slot.timer?.clear();
    slot.timer = undefined;
    slot.waiting = undefined;
  }

  /** Runs `task` after every earlier operation of the slot settled. */
  private inSlot<T>(slot: Slot, task: () => Promise<T>): Promise<T> {
    const run = slot.queue.then(task);
    slot.queue = run.catch(() => undefined);
    return run;
  }

  /** The slot of (commit, context), marked most recently used; forgets idle slots beyond `maxSlots`. */
  private getSlot(commit: string, context: string): Slot {
    const key = `${commit}\u0000${context}`;
    const slot = this.slots.get(key) ?? { commit, writtenAt: 0, queue: Promise.resolve() };
    this.slots.delete(key);
    this.slots.set(key, slot);
    for (const [oldKey, old] of this.slots) {
      if (this.slots.size <= this.maxSlots) break;
      // Forgetting a slot only means its next status is written at once; a waiting one must not be lost.
      if (!old.waiting && old !== slot) this.slots.delete(oldKey);
    }
    return slot;
  }
}
