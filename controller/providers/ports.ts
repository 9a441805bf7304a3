/**
 * The ports through which the engine touches the outside world: the cluster
 * (stacks and traffic), databases, secrets and health. Adapters return our own
 * types and throw our typed errors: TransientError (worth retrying),
 * PermanentError (the step fails), NotFoundError. Every mutating call is
 * idempotent: calling it twice leaves the world as calling it once.
 */
import type { StepName } from '../engine/step-names.js';
import type { DatabaseRef, JobTemplate, SecretRef, Tenant } from '../model/types.js';
import type { StackColor } from '../model/naming.js';
import type { Measurement } from '../policy/analysis.js';

/** Who is asking, so adapters can label what they create and log whom it concerns. */
export interface CallContext {
  readonly constellation: string;
  readonly group: string;
  readonly transition: string;
  readonly step: StepName;
  /** 1 for the first try of the step, 2 for the first retry, ... */
  readonly attempt: number;
}

/** One service of a stack. */
export interface ServiceSpec {
  readonly image: string;
  readonly replicas: number;
  readonly port: number;
  readonly healthPath: string;
  /** The path prefix of tenant requests this service serves (see the release schema); absent: none. */
  readonly route?: string;
}

/** A group's tenants, for its tenant registry. */
export interface TenantsSpec {
  readonly cluster: string;
  readonly namespace: string;
  readonly tenants: readonly Tenant[];
  /** The group's database and the names of its secrets, for the registry (never secret values). */
  readonly database: DatabaseRef;
  readonly secrets: readonly string[];
  /**
   * Tenants whose data lives elsewhere than the group's database, by id: a
   * tenant moving in is served from its old group's database until the move
   * promotes its data here.
   */
  readonly databases?: Readonly<Record<string, DatabaseRef>>;
}

/** A group's stack of one colour at one release (its registry comes with it). */
export interface StackSpec extends TenantsSpec {
  readonly color: StackColor;
  readonly release: string;
  /** The data layout version of the release. */
  readonly schemaVersion: number;
  readonly services: Readonly<Record<string, ServiceSpec>>;
}

/** A Job of a group. */
export interface JobSpec {
  readonly cluster: string;
  readonly namespace: string;
  /** Names the Job within the group, the same at every try: `migrate-412`, `tenant-create-<id>`. */
  readonly name: string;
  readonly template: JobTemplate;
  /** Environment of the Job's container, besides the registry's path. */
  readonly env: Readonly<Record<string, string>>;
}

/** Where a stack's rollout stands: done, or still under way and why. */
export type RolloutStatus = { readonly done: true } | { readonly done: false; readonly message: string };

/** What an ensure call did. */
export type EnsureResult = 'created' | 'updated' | 'unchanged';

/** Stacks and traffic of groups. */
export interface ClusterPort {
  /** Throws unless the group's cluster and namespace can be reached and read; changes nothing. */
  checkAccess(ctx: CallContext, cluster: string, namespace: string): Promise<void>;
  /** The colour serving the group's traffic and its release, or undefined when the group serves nothing yet. */
  getActive(
    ctx: CallContext,
    cluster: string,
    namespace: string,
  ): Promise<{ color: StackColor; release: string } | undefined>;
  /** Creates or updates the stack of `spec.color` to match `spec`. */
  ensureStack(ctx: CallContext, spec: StackSpec): Promise<EnsureResult>;
  /**
   * Where the rollout of the group's stack of `color` stands, read once (the
   * caller comes back later while it is under way). Throws PermanentError when
   * it can no longer succeed (a progress deadline exceeded), with the reason.
   */
  rolloutStatus(
    ctx: CallContext,
    cluster: string,
    namespace: string,
    color: StackColor,
  ): Promise<RolloutStatus>;
  /** Deletes the group's stack of `color` (only what this constellation owns). */
  deleteStack(
    ctx: CallContext,
    cluster: string,
    namespace: string,
    color: StackColor,
  ): Promise<'deleted' | 'absent'>;
  /** Writes the group's tenant registry alone: no stack changes, no pod restarts. */
  ensureTenants(ctx: CallContext, spec: TenantsSpec): Promise<EnsureResult>;
  /**
   * Starts the Job unless it was started before, and says where it stands
   * (read once; the caller comes back while it runs). Throws PermanentError
   * when it failed, with the reason.
   */
  runJob(ctx: CallContext, job: JobSpec): Promise<RolloutStatus>;
  /**
   * Routes the group's tenant `hosts`: `weight` percent of their traffic to
   * `color` (all of it when absent), the rest to the other colour.
   */
  switchTraffic(
    ctx: CallContext,
    cluster: string,
    namespace: string,
    color: StackColor,
    hosts: readonly string[],
    weight?: number,
  ): Promise<void>;
  /** Sends none of the group's traffic anywhere (its route is removed); does nothing when none is sent. */
  stopTraffic(ctx: CallContext, cluster: string, namespace: string): Promise<void>;
}

/** The group's database. */
export interface DatabasePort {
  /**
   * Throws unless the instance exists (in its region), is in a state that
   * serves traffic and runs the engine `db` declares: PermanentError naming
   * the instance and what was found; TransientError for throttling and
   * server faults; ConfigurationError when access is denied.
   */
  checkAvailable(ctx: CallContext, db: DatabaseRef): Promise<void>;
  /**
   * Takes a manual snapshot `snapshotId` of the instance unless a snapshot of
   * that id exists (then it is reused), and says where it stands, read once
   * (the caller comes back while it is being made). Throws PermanentError
   * when it failed, or when a snapshot of that id belongs to another instance.
   */
  ensureSnapshot(ctx: CallContext, db: DatabaseRef, snapshotId: string): Promise<RolloutStatus>;
  /**
   * Throws unless `replica` can be made as a read replica of `source` (for a
   * tenant move): `source` exists and serves, and `replica` does not exist or
   * is already that replica (a move resumed). PermanentError naming what was
   * found; ConfigurationError when the provider cannot make replicas.
   */
  checkReplicable(ctx: CallContext, source: DatabaseRef, replica: DatabaseRef): Promise<void>;
  /**
   * Makes `replica` a read replica of `source` unless it is one already, and
   * says where it stands, read once: done once it exists and is in sync (the
   * caller comes back while it is made or catching up). Throws
   * PermanentError when it failed, or when `replica` exists and is not a
   * replica of `source`.
   */
  ensureReplica(ctx: CallContext, source: DatabaseRef, replica: DatabaseRef): Promise<RolloutStatus>;
  /**
   * Promotes the read replica `replica` to an instance of its own (writable,
   * replication stopped), or says it is promoted already; read once (the
   * caller comes back while it is promoted). Cannot be undone.
   */
  promoteReplica(ctx: CallContext, replica: DatabaseRef): Promise<RolloutStatus>;
  /**
   * Deletes the read replica `replica` (undoing a move before promotion);
   * `absent` when there is none. Throws PermanentError when `replica` is not
   * a replica (promoted, or never ours): it is never deleted then.
   */
  deleteReplica(ctx: CallContext, replica: DatabaseRef): Promise<'deleted' | 'absent'>;
  /**
   * Gives `db` (a move's promoted replica) a standby replica in another
   * availability zone, unless it has one; read once (the engine comes back
   * while it is made). Throws PermanentError when `db` is missing or not the
   * group's own.
   */
  ensureStandby(ctx: CallContext, db: DatabaseRef): Promise<RolloutStatus>;
}

/** The secret store. */
export interface SecretsPort {
  /**
   * Throws unless the secret exists and its value is a JSON object holding
   * every key named: PermanentError naming the secret and the missing keys
   * (never a value); TransientError for throttling and server faults;
   * ConfigurationError when access is denied. Values are dropped as soon as
   * the keys are known: never returned, logged or put in an error.
   */
  checkKeys(ctx: CallContext, secret: SecretRef, region?: string): Promise<void>;
}

/** What a health check saw. */
export interface HealthReport {
  readonly healthy: boolean;
  /** Short reason when unhealthy, for statuses and logs. */
  readonly reason?: string;
}

/** Health of a group's stack. */
export interface HealthPort {
  check(ctx: CallContext, cluster: string, namespace: string, color: StackColor): Promise<HealthReport>;
}

/** One query of a health analysis, its placeholders filled in for the stack it judges. */
export interface MetricsQuery {
  readonly name: string;
  readonly query: string;
  readonly max?: number;
  readonly min?: number;
}

/** Metrics of stacks, for health analysis (see policy/analysis.ts). */
export interface MetricsPort {
  /**
   * Runs `query` once. Answers its one value, or why there is none (no data,
   * more than one series, NaN, an error of the metrics provider): such a
   * measurement is inconclusive, never a pass. Does not throw for the
   * provider's errors; the bound is for simulations, a real provider ignores it.
   */
  measure(ctx: CallContext, query: MetricsQuery): Promise<Measurement>;
}

/** Every port, as the engine receives them. */
export interface Providers {
  readonly cluster: ClusterPort;
  readonly database: DatabasePort;
  readonly secrets: SecretsPort;
  readonly health: HealthPort;
  readonly metrics: MetricsPort;
  /** Waits for what the providers write and lets go of what they hold (`compact`: see ControllerParts.close). */
  close?(options?: { compact?: boolean }): Promise<void>;
}
