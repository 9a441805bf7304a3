/**
 * Keeps a mirror packed without slowing its fetches: git's own maintenance
 * after every fetch is off (see fetchArgs), and `git maintenance run
 * --auto` (packs loose objects once there are many) runs instead after the
 * first fetch of a process and then after every MAINTAIN_EVERY fetches, in
 * the background, never on the way to a status.
 */
import type { SimpleGit } from 'simple-git';

export const MAINTAIN_EVERY = 50;

export class MirrorMaintenance {
  #fetches = 0;
  #running: Promise<void> = Promise.resolve();

  constructor(private readonly git: () => SimpleGit) {}

  /** Told after each fetch: starts a maintenance when one is due, after the one before it. */
  fetched(): void {
    if (this.#fetches++ % MAINTAIN_EVERY !== 0) return;
    this.#running = this.#running.then(() =>
      this.git()
        .raw(['maintenance', 'run', '--auto', '--quiet'])
        // Only an optimisation: reading the mirror works without it, and the next one tries again.
        .then(
          () => undefined,
          () => undefined,
        ),
    );
  }

  /** Resolves once the maintenance started, if any, has ended. */
  settled(): Promise<void> {
    return this.#running;
  }
}
