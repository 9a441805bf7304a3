/**
 * The controller's loop of looks at the branch, one at a time.
 */
import { schedule } from 'node-cron';
import type { CliContext } from './context.js';

/**
 * Runs ticks one at a time: on the poll schedule, and at once when kicked (a
 * webhook). A kick during a tick runs one more tick after it, never two at once.
 */
export class TickLoop {
  #running?: Promise<void>;
  #again = false;

  constructor(
    private readonly ctx: CliContext,
    private readonly tick: () => Promise<void>,
  ) {}

  /** Starts a tick now, or right after the one running. */
  kick(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.tick();
        } catch (err) {
          // One failed tick (git unreachable, say) must not stop the controller: the next one tries again.
          this.ctx.io.err(`ringmaster: look at the branch failed: ${(err as Error).message}`);
        }
      } while (this.#again);
    })().finally(() => {
      this.#running = undefined;
    });
  }

  /** Looks on the schedule until `stopped` resolves, then waits for the look under way. */
  async runForever(poll: string, stopped: Promise<unknown>): Promise<void> {
    this.kick();
    const task = schedule(poll, () => this.kick());
    this.ctx.io.out(`Following the branch (${poll}); Ctrl-C stops at the next call of each step under way.`);
    await stopped;
    await task.stop();
    await this.#running;
  }
}
