/**
 * What a waiting group waits for, as one word (the `reason` label of
 * `ringmaster_waiting_groups`): the reasons themselves carry times and
 * commands, far too many values for a label.
 */
export const WAIT_KINDS = [
  'approval',
  'decision',
  'bake',
  'healthy-before',
  'window',
  'freeze',
  'keep',
  'halted',
  'stopped',
  'other',
] as const;

export type WaitKind = (typeof WAIT_KINDS)[number];

/** The kinds by the start of the reasons the planner and the engine give. */
const PREFIXES: readonly (readonly [RegExp, WaitKind])[] = [
  [/^waiting for approval/, 'approval'],
  // An inconclusive health measurement: a person approves or retries.
  [/a person decides: /, 'decision'],
  [/^baking in /, 'bake'],
  [/^waiting for \S+ to be healthy in /, 'healthy-before'],
  [/^(outside maintenance window|no maintenance window)/, 'window'],
  [/^freeze /, 'freeze'],
  [/^keeping /, 'keep'],
  [/^halted: /, 'halted'],
  [/^stopped /, 'stopped'],
];

/** The kind of wait `reason` names; `other` for one this list does not know. */
export function waitKind(reason: string | undefined): WaitKind {
  for (const [pattern, kind] of PREFIXES) if (reason && pattern.test(reason)) return kind;
  return 'other';
}
