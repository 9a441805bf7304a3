/**
 * The live controller's bookkeeping per ring: the transitions a look admitted
 * that wait for a slot, in order; the groups holding a slot (under way, or
 * handed to the queue and not started yet); and how many groups failed what
 * the followed commit asks, against the ring's failure budget.
 */
import type { PlannedTransition } from '../plan/transitions.js';

export class RingSlots {
  /** Admitted transitions not started yet, by ring, in order. */
  #pending = new Map<string, PlannedTransition[]>();
  /** Groups holding a slot of their ring, by ring. */
  readonly #held = new Map<string, Set<string>>();
  /** Groups that failed what the followed commit asks of them, by ring (see plan/admission.ts). */
  #failures = new Map<string, number>();

  /** Replaces what waits for a slot with `admitted` (in order), leaving out the groups `skip` says. */
  admit(admitted: readonly PlannedTransition[], skip: (t: PlannedTransition) => boolean): void {
    this.#pending = new Map();
    for (const t of admitted) {
      if (skip(t)) continue;
      const line = this.#pending.get(t.ring) ?? [];
      line.push(t);
      this.#pending.set(t.ring, line);
    }
  }

  /** The failures of each ring, as a look counted them. */
  setFailures(failures: Map<string, number>): void {
    this.#failures = failures;
  }

  /** One more group of `ring` failed. */
  countFailure(ring: string): void {
    this.#failures.set(ring, (this.#failures.get(ring) ?? 0) + 1);
  }

  /** Whether more of `ring`'s groups failed than `budget` allows: nothing more starts there. */
  halted(ring: string, budget: number): boolean {
    return (this.#failures.get(ring) ?? 0) > budget;
  }

  /** The next admitted transition of `ring` while it holds fewer than `maxParallel` slots; undefined otherwise. */
  next(ring: string, maxParallel: number): PlannedTransition | undefined {
    if (this.held(ring).size >= maxParallel) return undefined;
    return this.#pending.get(ring)?.shift();
  }

  /** The groups holding a slot of `ring` (changed in place by the caller). */
  held(ring: string): Set<string> {
    let slots = this.#held.get(ring);
    if (!slots) this.#held.set(ring, (slots = new Set()));
    return slots;
  }
}
