/**
 * Names of what the controller creates. Everything carries the constellation,
 * so several constellations share clusters and accounts without clashing.
 */

/** Kubernetes' limit for a DNS-1035 label (Service names, label values). */
export const MAX_LABEL_LENGTH = 63;

/** The colours of a blue/green pair of stacks. */
export type StackColor = 'blue' | 'green';

/** The name of one service's workload of one colour in one group: `<constellation>-<group>-<service>-<color>`. */
export function workloadName(
  constellation: string,
  group: string,
  service: string,
  color: StackColor,
): string {
  return `${constellation}-${group}-${service}-${color}`;
}

/** Longest workload name a service can get (the longer colour), for validating names up front. */
export function longestWorkloadName(constellation: string, group: string, service: string): string {
  return workloadName(constellation, group, service, 'green');
}

/**
 * The manual database snapshot taken before a transition raises the data
 * layout: `<constellation>-<group>-<schemaVersion>-<commit, 12 characters>`,
 * within RDS's rules for snapshot identifiers (letters, digits and single
 * hyphens, a letter first, at most 255 characters).
 */
export function snapshotId(
  constellation: string,
  group: string,
  schemaVersion: number,
  commit: string,
): string {
  return `${constellation}-${group}-${schemaVersion}-${commit.slice(0, 12)}`.replace(/-{2,}/g, '-');
}

/**
 * Orders group names as `localeCompare` does, at a fraction of its cost: for
 * the names the schema allows (lower-case letters, digits and hyphens, see
 * defs.schema.json) the order of code units is the same. A running controller
 * sorts 10,000 of them every second.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
