/**
 * The names of a transition's steps, in order. The engine owns them; the
 * providers' CallContext, the sim's faults and the metrics refer to them.
 * This module imports nothing, so anything may depend on it.
 */

/** The steps of a transition, in order; `replicate` and `promote` belong to tenant moves alone. */
export const STEPS = [
  'validate',
  'prepare',
  'verify',
  'gate',
  'cutover',
  'replicate',
  'promote',
  'observe',
  'finalize',
] as const;
export type StepName = (typeof STEPS)[number];
