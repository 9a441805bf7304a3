/**
 * Where a Deployment's rollout stands, read exactly as `kubectl rollout
 * status` reads it (kubectl's DeploymentStatusViewer): the spec must be
 * observed, every replica updated, no old replica left, every updated replica
 * available; a Progressing condition with reason ProgressDeadlineExceeded
 * means it will not finish. Pure.
 */
import type { KubeObject } from './objects.js';

/** A Deployment's rollout or a Job: done, under way (with kubectl's words), or failed. */
export type DeploymentRollout =
  | { readonly state: 'done' }
  | { readonly state: 'waiting'; readonly message: string }
  | { readonly state: 'failed'; readonly message: string };

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
}

/** The rollout of Deployment `d`. */
export function deploymentRollout(d: KubeObject): DeploymentRollout {
  const name = d.metadata.name;
  const status = (d.status ?? {}) as DeploymentStatus;
  const generation = d.metadata.generation ?? 0;
  if (generation > (status.observedGeneration ?? 0))
    return { state: 'waiting', message: `deployment ${name}: waiting for the spec update to be observed` };
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    const detail = progressing.message ? `: ${progressing.message}` : '';
    return { state: 'failed', message: `deployment ${name} exceeded its progress deadline${detail}` };
  }
  const wanted = (d.spec?.replicas as number | undefined) ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < wanted)
    return { state: 'waiting', message: `deployment ${name}: ${updated} of ${wanted} new replicas updated` };
  if (total > updated)
    return {
      state: 'waiting',
      message: `deployment ${name}: ${total - updated} old replicas pending termination`,
    };
  if (available < updated)
    return {
      state: 'waiting',
      message: `deployment ${name}: ${available} of ${updated} updated replicas available`,
    };
  return { state: 'done' };
}

interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
}

/** Where Job `j` stands: done when Complete, failed when Failed (with its reason), else running. */
export function jobProgress(j: KubeObject): DeploymentRollout {
  const status = (j.status ?? {}) as JobStatus;
  const holds = (type: string) => status.conditions?.find((c) => c.type === type && c.status === 'True');
  if (holds('Complete')) return { state: 'done' };
  const failed = holds('Failed');
  if (failed)
    return {
      state: 'failed',
      message: `job ${j.metadata.name} failed: ${failed.reason ?? 'Failed'}${failed.message ? `: ${failed.message}` : ''}`,
    };
  return {
    state: 'waiting',
    message: `job ${j.metadata.name}: ${status.active ?? 0} running, ${status.failed ?? 0} failed attempts`,
  };
}
