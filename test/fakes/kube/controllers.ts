/**
 * Deterministic stand-ins for the Deployment and Job controllers: instead of
 * timers, an object's status moves one step per so many reads of it (GET of the
 * object or its /status, or a list holding it; watches do not count). Their
 * status writes are real writes: new resourceVersion, MODIFIED event, managed
 * fields of `kube-controller-manager` on the status subresource. Test code only.
 *
 * Deployment, after every spec change (new generation), one stage per
 * `readsPerStage` reads: 1 = new ReplicaSet created (observedGeneration, replicas
 * and updatedReplicas = spec.replicas, none available, Progressing True
 * NewReplicaSetCreated); 2 = rolled out (ready and available = spec.replicas,
 * Available True, Progressing True NewReplicaSetAvailable). `spec.replicas: 0`
 * completes at stage 1. When any container image is 'never-pulls' or
 * 'crash-loops', availability never comes and stage 3 sets Progressing False
 * ProgressDeadlineExceeded. Zero counts are left out, as Go's omitempty does.
 *
 * Job: the first read starts it (startTime, active); after `jobReadsToFinish`
 * reads it completes (succeeded, SuccessCriteriaMet + Complete, completionTime),
 * or fails (failed = backoffLimit + 1, FailureTarget + Failed with reason
 * BackoffLimitExceeded) when `jobFails(job)` or an image 'crash-loops'; an image
 * that 'never-pulls' keeps it active.
 *
 * A client that writes /status itself takes over until the next spec change.
 */
import { createHash } from 'node:crypto';
import { type WriteContext, commit } from './commit.js';
import type { StoredRecord } from './store.js';
import { type JsonObject, type KubeObject, isObject, kubeTime, objectAt } from './types.js';

/** How a workload with this container image behaves. */
export type ImageBehaviour = 'ok' | 'never-pulls' | 'crash-loops';

/** Settings of the controllers. */
export interface ControllerOptions {
  deploymentReadsPerStage: number;
  jobReadsToFinish: number;
  imageBehaviour: (image: string) => ImageBehaviour;
  jobFails: (job: KubeObject) => boolean;
}

interface Progress {
  generation: number;
  reads: number;
  stage: number;
  done: boolean;
  manual: boolean;
}

/** The controllers; `onRead` is called for each object a read is about to return. */
export class Controllers {
  readonly #progress = new Map<string, Progress>();

  constructor(
    private readonly ctx: WriteContext,
    private readonly options: ControllerOptions,
  ) {}

  /** Counts a read of `record` and moves its status on when due; returns the record to serve. */
  onRead(record: StoredRecord): StoredRecord {
    const kind = record.object.kind;
    if (kind !== 'Deployment' && kind !== 'Job') return record;
    const p = this.#progressOf(record.object);
    if (p.done || p.manual) return record;
    p.reads++;
    const status =
      kind === 'Deployment' ? this.#deploymentStep(record.object, p) : this.#jobStep(record.object, p);
    if (!status) return record;
    const { def, object } = record;
    const { namespace, name } = object.metadata;
    commit(this.ctx, {
      def,
      version: def.versions[0] ?? 'v1',
      namespace,
      name,
      old: record,
      next: { ...object, status },
      part: 'status',
      manager: 'kube-controller-manager',
    });
    return this.ctx.store.get(def, namespace, name) ?? record;
  }

  /** A client wrote the status of `object`: leave it alone until its next spec change. */
  onStatusWritten(object: KubeObject): void {
    this.#progressOf(object).manual = true;
  }

  #progressOf(object: KubeObject): Progress {
    const { uid, generation } = object.metadata;
    let p = this.#progress.get(uid);
    if (!p || p.generation !== generation) {
      p = { generation, reads: 0, stage: 0, done: false, manual: false };
      this.#progress.set(uid, p);
    }
    return p;
  }

  #behaviour(object: KubeObject): ImageBehaviour {
    const podSpec = objectAt(objectAt(object, 'spec').template, 'spec');
    const containers = [podSpec.initContainers, podSpec.containers].flatMap((c) =>
      Array.isArray(c) ? c : [],
    );
    const found = containers.filter(isObject).map((c) => this.options.imageBehaviour(String(c.image ?? '')));
    return found.find((b) => b === 'crash-loops') ?? found.find((b) => b === 'never-pulls') ?? 'ok';
  }

  #deploymentStep(object: KubeObject, p: Progress): JsonObject | undefined {
    if (p.reads < this.options.deploymentReadsPerStage) return undefined;
    p.reads = 0;
    p.stage++;
    const replicas = Number(objectAt(object, 'spec').replicas ?? 1);
    const healthy = this.#behaviour(object) === 'ok' || replicas === 0;
    const time = kubeTime(this.ctx.now());
    if (healthy && (p.stage >= 2 || replicas === 0)) {
      p.done = true;
      return deploymentStatus(object, 'complete', time);
    }
    if (p.stage === 1) return deploymentStatus(object, 'progressing', time);
    if (p.stage < 3) return undefined;
    p.done = true;
    return deploymentStatus(object, 'timed-out', time);
  }

  #jobStep(object: KubeObject, p: Progress): JsonObject | undefined {
    const spec = objectAt(object, 'spec');
    const time = kubeTime(this.ctx.now());
    const startTime = objectAt(object, 'status').startTime ?? time;
    const started = { startTime, active: Number(spec.parallelism ?? 1), uncountedTerminatedPods: {} };
    if (p.reads < this.options.jobReadsToFinish) return p.reads === 1 ? started : undefined;
    const behaviour = this.#behaviour(object);
    if (this.options.jobFails(object) || behaviour === 'crash-loops') {
      p.done = true;
      const message = 'Job has reached the specified backoff limit';
      return {
        startTime,
        failed: Number(spec.backoffLimit ?? 6) + 1,
        uncountedTerminatedPods: {},
        conditions: ['FailureTarget', 'Failed'].map((type) =>
          jobCondition(type, 'BackoffLimitExceeded', message, time),
        ),
      };
    }
    if (behaviour === 'never-pulls') return started;
    p.done = true;
    const message = 'Reached expected number of succeeded pods';
    return {
      startTime,
      completionTime: time,
      succeeded: Number(spec.completions ?? 1),
      uncountedTerminatedPods: {},
      conditions: ['SuccessCriteriaMet', 'Complete'].map((type) =>
        jobCondition(type, 'CompletionsReached', message, time),
      ),
    };
  }
}

/** The Deployment status of a rollout stage (zero counts omitted, as on the wire). */
function deploymentStatus(object: KubeObject, stage: 'progressing' | 'complete' | 'timed-out', time: string) {
  const replicas = Number(objectAt(object, 'spec').replicas ?? 1);
  const rs = `${object.metadata.name}-${templateHash(objectAt(object, 'spec').template)}`;
  const base = {
    observedGeneration: object.metadata.generation,
    ...counts({ replicas, updatedReplicas: replicas }),
  };
  if (stage === 'complete') {
    return {
      ...base,
      ...counts({ readyReplicas: replicas, availableReplicas: replicas }),
      conditions: [
        condition(
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
          time,
        ),
        condition(
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${rs}" has successfully progressed.`,
          time,
        ),
      ],
    };
  }
  const progressing =
    stage === 'progressing'
      ? condition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rs}"`, time)
      : condition(
          'Progressing',
          'False',
          'ProgressDeadlineExceeded',
          `ReplicaSet "${rs}" has timed out progressing.`,
          time,
        );
  return {
    ...base,
    ...counts({ unavailableReplicas: replicas }),
    conditions: [availableCondition(object, time), progressing],
  };
}

/** The Available condition while pods are not available: kept True if it was, else False. */
function availableCondition(object: KubeObject, time: string): JsonObject {
  const conditions = objectAt(object, 'status').conditions;
  const prior = (Array.isArray(conditions) ? conditions : []).find(
    (c) => isObject(c) && c.type === 'Available',
  );
  if (isObject(prior) && prior.status === 'True') return prior;
  return condition(
    'Available',
    'False',
    'MinimumReplicasUnavailable',
    'Deployment does not have minimum availability.',
    time,
  );
}

function condition(type: string, status: string, reason: string, message: string, time: string): JsonObject {
  return { type, status, lastUpdateTime: time, lastTransitionTime: time, reason, message };
}

function jobCondition(type: string, reason: string, message: string, time: string): JsonObject {
  return { type, status: 'True', lastProbeTime: time, lastTransitionTime: time, reason, message };
}

/** The counts that are not zero (zero counts are omitted on the wire). */
function counts(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== 0));
}

/** A pod-template-hash-like 10-character name part for `template`. */
export function templateHash(template: unknown): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256')
    .update(JSON.stringify(template ?? {}))
    .digest();
  return [...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('');
}
