/**
 * A keyed work queue, the way Kubernetes controllers run their reconcilers:
 * work is named by a key (a group), at most one worker holds a key at a
 * time, a bounded number of workers run at once, and work can come back at a
 * time (requeue-after) without holding a worker meanwhile.
 *
 * Rules:
 * - `add(key)` makes the key due now; a key already due stays once in line.
 *   A key added while its worker runs is run again once that worker ends
 *   (never two at once), so nothing asked for is lost.
 * - Due keys start in order of their priority (lower first, then the order
 *   they became due) whenever a worker is free.
 * - `addAt(key, at)` makes the key due at a time; an earlier `add` or a
 *   nearer time wins, a later one is ignored while the nearer one stands.
 *   With `progress`, the wake-up counts as work under way for `settled()`.
 * - `stop()`: nothing starts after it; `idle()` resolves when the workers
 *   running have ended.
 */
import type { Clock, Timer } from './clock.js';

/** Runs the work of one key; it may throw: the queue reports the error and goes on. */
export type Worker<K> = (key: K) => Promise<void>;

/** Options of a WorkQueue. */
export interface WorkQueueOptions<K> {
  /** Workers running at most at once (at least 1). */
  readonly workers: number;
  readonly clock: Clock;
  readonly work: Worker<K>;
  /** Lower runs first; default 0 for every key. */
  readonly priority?: (key: K) => number;
  /** Hears of a worker that threw. */
  readonly onError?: (key: K, err: unknown) => void;
}

interface Scheduled {
  readonly at: number;
  readonly timer: Timer;
  readonly progress: boolean;
}

/** See the module comment. */
export class WorkQueue<K> {
  readonly #options: WorkQueueOptions<K>;
  /** Due keys by priority, each line in the order they became due (keys may repeat: `#due` decides). */
  readonly #lines = new Map<number, { keys: K[]; head: number }>();
  /** Due keys, with their priority. */
  readonly #due = new Map<K, number>();
  readonly #running = new Set<K>();
  /** Keys asked for again while running. */
  readonly #again = new Set<K>();
  readonly #scheduled = new Map<K, Scheduled>();
  #stopped = false;
  #waiters: { done: () => boolean; resolve: () => void }[] = [];

  constructor(options: WorkQueueOptions<K>) {
    if (!(options.workers >= 1)) throw new RangeError('a work queue needs at least one worker');
    this.#options = options;
  }

  /** Makes `key` due now. */
  add(key: K): void {
    if (this.#stopped) return;
    this.#unschedule(key);
    if (this.#running.has(key)) {
      this.#again.add(key);
      return;
    }
    this.#makeDue(key);
    this.#pump();
  }

  /** Makes `key` due at `at` (see the module comment). */
  addAt(key: K, at: Date, options: { progress?: boolean } = {}): void {
    if (this.#stopped || this.#due.has(key) || this.#again.has(key)) return;
    const existing = this.#scheduled.get(key);
    if (existing && existing.at <= at.getTime()) return;
    existing?.timer.cancel();
    const timer = this.#options.clock.at(at, () => {
      this.#scheduled.delete(key);
      this.add(key);
    });
    this.#scheduled.set(key, { at: at.getTime(), timer, progress: options.progress === true });
  }

  /** True when `key` is running, due, or scheduled. */
  has(key: K): boolean {
    return this.#running.has(key) || this.#due.has(key) || this.#scheduled.has(key);
  }

  /** When `key` is scheduled to come back, if it is. */
  scheduledAt(key: K): Date | undefined {
    const s = this.#scheduled.get(key);
    return s && new Date(s.at);
  }

  /** Keys running now. */
  get running(): ReadonlySet<K> {
    return this.#running;
  }

  /** Starts nothing more and calls off every wake-up. */
  stop(): void {
    this.#stopped = true;
    this.#due.clear();
    this.#lines.clear();
    this.#again.clear();
    for (const s of this.#scheduled.values()) s.timer.cancel();
    this.#scheduled.clear();
    this.#notify();
  }

  /** Resolves once no worker runs (after `stop`, once the last one ended). */
  idle(): Promise<void> {
    return this.#until(() => this.#running.size === 0);
  }

  /**
   * Resolves once nothing runs, nothing is due, and no wake-up marked
   * `progress` waits; with `scheduled`, once no wake-up at all waits either.
   */
  settled(options: { scheduled?: boolean } = {}): Promise<void> {
    return this.#until(
      () =>
        this.#running.size === 0 &&
        this.#due.size === 0 &&
        ![...this.#scheduled.values()].some((s) => s.progress || options.scheduled === true),
    );
  }

  #until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ done, resolve }));
  }

  #notify(): void {
    const ready = this.#waiters.filter((w) => w.done());
    if (!ready.length) return;
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  #makeDue(key: K): void {
    if (this.#due.has(key)) return;
    const priority = this.#options.priority?.(key) ?? 0;
    this.#due.set(key, priority);
    let line = this.#lines.get(priority);
    if (!line) this.#lines.set(priority, (line = { keys: [], head: 0 }));
    line.keys.push(key);
  }

  #unschedule(key: K): void {
    this.#scheduled.get(key)?.timer.cancel();
    this.#scheduled.delete(key);
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#options.workers && this.#due.size > 0) {
      const key = this.#next();
      this.#due.delete(key);
      this.#running.add(key);
      void this.#run(key);
    }
  }

  /** The first due key of the most urgent line; lines shed what was taken, so a pick costs little. */
  #next(): K {
    const priorities = [...this.#lines.keys()].sort((a, b) => a - b);
    for (const p of priorities) {
      const line = this.#lines.get(p)!;
      while (line.head < line.keys.length) {
        const key = line.keys[line.head++]!;
        if (this.#due.get(key) === p) {
          if (line.head > 1024 && line.head * 2 > line.keys.length) {
            line.keys = line.keys.slice(line.head);
            line.head = 0;
          }
          return key;
        }
      }
      this.#lines.delete(p);
    }
    throw new Error('WorkQueue: a due key is in no line');
  }

  async #run(key: K): Promise<void> {
    try {
      await this.#options.work(key);
    } catch (err) {
      this.#options.onError?.(key, err);
    } finally {
      this.#running.delete(key);
      if (this.#again.delete(key) && !this.#stopped) this.#makeDue(key);
      this.#pump();
      this.#notify();
    }
  }
}
