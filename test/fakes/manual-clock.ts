/**
 * A Clock for tests that moves only when told. Test code only.
 */
import type { Clock, Timer } from '../../controller/loop/clock.js';

/**
 * A clock that moves only when told (tests): `advance` runs every timer that
 * falls due, in order, and resolves after each one's work had a chance to run.
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; fn: () => void; live: boolean }[] = [];

  constructor(start: Date) {
    this.#now = start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  at(at: Date, fn: () => void): Timer {
    const timer = { at: at.getTime(), fn, live: true };
    this.#timers.push(timer);
    if (timer.at <= this.#now) queueMicrotask(() => this.#fire(timer));
    return { cancel: () => (timer.live = false) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = this.at(new Date(this.#now + ms), () => resolve());
      signal?.addEventListener(
        'abort',
        () => {
          timer.cancel();
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }

  /** Moves the clock `ms` forward, firing what falls due in time order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#now = Math.max(this.#now, next.at);
      this.#fire(next);
      await settle();
    }
    this.#now = end;
    await settle();
  }

  #fire(timer: { fn: () => void; live: boolean }): void {
    if (!timer.live) return;
    timer.live = false;
    this.#timers = this.#timers.filter((t) => t.live);
    timer.fn();
  }
}

/** Lets promise callbacks and I/O of work started by a timer run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock on which waiting takes no time (tests): a sleep moves it forward at
 * once, and a timer fires as soon as its time is reached that way.
 */
export function instantClock(start: Date): Clock {
  let now = start;
  const sleep = async (ms: number) => void (now = new Date(now.getTime() + ms));
  return {
    now: () => now,
    at(at, fn) {
      let live = true;
      void sleep(Math.max(0, at.getTime() - now.getTime())).then(() => live && fn());
      return { cancel: () => (live = false) };
    },
    sleep,
  };
}
