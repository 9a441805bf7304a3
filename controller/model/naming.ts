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
