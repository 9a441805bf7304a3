/**
 * The controller's time: what time it is, and how to be woken at a time. The
 * composition root makes the real one; a rehearsal (`--sim-speed N`) makes
 * one where time runs N times faster, so bake times, keep windows,
 * maintenance windows and health periods all pass at the same pace; tests
 * use one they move by hand (test/fakes/manual-clock.ts).
 */

/** A wake-up that can be called off. */
export interface Timer {
  cancel(): void;
}

/** What the controller asks of time. */
export interface Clock {
  now(): Date;
  /**
   * Calls `fn` once the clock reads `at` or later (at once when it already
   * does). A timer keeps the process alive until it fires or is cancelled:
   * work due later is work still to do.
   */
  at(at: Date, fn: () => void): Timer;
  /** Resolves once the clock reads `now + ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A clock that reads `start` when it is made and then runs `speed` times
 * faster than the machine's time (speed 1 and the default start: the
 * machine's time itself). Real waits are `ms / speed` long.
 */
export function systemClock(speed = 1, start?: Date, realNow: () => number = Date.now): Clock {
  const origin = realNow();
  const from = start?.getTime() ?? origin;
  const now = () => new Date(from + (realNow() - origin) * speed);
  const realDelay = (ms: number) => Math.max(0, ms / speed);
  return {
    now,
    at(at, fn) {
      // setTimeout's delay is a 32-bit number of milliseconds: wake early and look again for far-off times.
      const MAX = 2_000_000_000;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        const wait = realDelay(at.getTime() - now().getTime());
        timer = setTimeout(wait > MAX ? arm : fn, Math.min(wait, MAX));
      };
      arm();
      return { cancel: () => clearTimeout(timer) };
    },
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const timer = setTimeout(done, realDelay(ms));
        const abort = () => {
          clearTimeout(timer);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', abort, { once: true });
        function done() {
          signal?.removeEventListener('abort', abort);
          resolve();
        }
      });
    },
  };
}

/** The earliest of `times` (ISO 8601); texts that are no time are passed over. */
export function earliest(times: readonly string[]): Date | undefined {
  const first = times
    .map((t) => Date.parse(t))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b)[0];
  return first === undefined ? undefined : new Date(first);
}
