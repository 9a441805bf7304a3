/**
 * A write asked for often and done at most once per interval: `mark` asks
 * for it (at once when the last one is an interval old, else when it is),
 * `flush` does it now and waits; writes never overlap. A failed write is
 * reported and left to the next mark.
 */
import { performance } from 'node:perf_hooks';

export class ThrottledWrite {
  readonly #write: () => Promise<void>;
  readonly #everyMs: number;
  readonly #onError: (err: unknown) => void;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  #timer?: NodeJS.Timeout;
  #last = -Infinity;

  constructor(write: () => Promise<void>, everyMs: number, onError: (err: unknown) => void) {
    this.#write = write;
    this.#everyMs = everyMs;
    this.#onError = onError;
  }

  /** Asks for a write within the interval. */
  mark(): void {
    this.#dirty = true;
    if (this.#timer) return;
    const wait = Math.max(0, this.#last + this.#everyMs - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#enqueue();
    }, wait);
    // Never what keeps the process alive: whoever stops calls flush().
    this.#timer.unref();
  }

  /** Writes now, after any write under way, and waits for it. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty = true;
    this.#enqueue();
    await this.#writing;
  }

  #enqueue(): void {
    this.#writing = this.#writing.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      this.#last = performance.now();
      try {
        await this.#write();
      } catch (err) {
        this.#onError(err);
      }
    });
  }
}
