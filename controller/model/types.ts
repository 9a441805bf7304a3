/**
 * The desired state of a constellation as read from one commit: the rings,
 * the releases, the groups with their tenants, and the promotion policy.
 * Defaults are applied; everything is read-only.
 */
import type { ParsedFile } from './parse.js';

/** One ring, in rollout order (`index` 0 is the earliest). */
export interface Ring {
  readonly name: string;
  readonly index: number;
  readonly release: string;
  readonly description?: string;
}

/** One service of a release. */
export interface Service {
  readonly image: string;
  readonly replicas: number;
  readonly port: number;
  readonly healthPath: string;
  /** The path prefix of tenant requests this service serves (see the release schema); absent: none. */
  readonly route?: string;
}

/** A Job the controller runs: an image and its command. */
export interface JobTemplate {
  readonly image: string;
  readonly command: readonly string[];
}

/**
 * Jobs a release runs per tenant: when one joins a group (`create`) or leaves
 * it (`remove`, after `keep`); when one moves into a group that has its own
 * database already (`copy`, from the old group's database); and after a
 * moved tenant's data is promoted to its new database (`sequences`).
 */
export interface TenantJobs {
  readonly create?: JobTemplate;
  readonly remove?: JobTemplate;
  readonly copy?: JobTemplate;
  readonly sequences?: JobTemplate;
  readonly verify?: JobTemplate;
  readonly cutback?: JobTemplate;
}

/** One release of the application. */
export interface Release {
  readonly version: string;
  readonly line: string;
  readonly schemaVersion: number;
  readonly backportOf?: string;
  readonly description?: string;
  readonly services: Readonly<Record<string, Service>>;
  /** The schema migration, run when a group moves here from a lower schemaVersion. */
  readonly migration?: JobTemplate;
  /** Jobs run per tenant by a group running this release (see TenantJobs). */
  readonly tenantJobs?: TenantJobs;
  readonly file: string;
}

/** When changes may reach a group. */
export interface MaintenanceWindow {
  readonly cron: string;
  readonly duration: string;
  readonly durationMs: number;
  readonly timezone: string;
}

export interface DatabaseRef {
  readonly instance: string;
  readonly engine: 'postgres' | 'mysql';
  readonly region?: string;
}

export interface SecretRef {
  readonly name: string;
  readonly keys: readonly string[];
}

/** The fixed resources of a group. */
export interface Resources {
  readonly cluster: string;
  readonly namespace: string;
  readonly database: DatabaseRef;
  readonly secrets: readonly SecretRef[];
}

export interface Tenant {
  readonly id: string;
  readonly host: string;
  readonly language: string;
  readonly utcOffset: string;
  /** For a test tenant: the production tenant it tests ahead of. */
  readonly testOf?: string;
  readonly description?: string;
}

/** A group of tenants sharing one stack and database. */
export interface Group {
  readonly name: string;
  readonly ring: string;
  readonly suspended: boolean;
  readonly description?: string;
  readonly maintenanceWindow?: MaintenanceWindow;
  readonly resources: Resources;
  readonly tenants: readonly Tenant[];
  readonly file: string;
}

export type Gate = 'auto' | 'manual';
export type WindowMode = 'any' | 'maintenance';

/** The rules of one ring, defaults applied. */
export interface RingPolicy {
  readonly bake: string;
  readonly bakeMs: number;
  readonly approvals: number;
  readonly reviewers: readonly string[];
  readonly maxParallel: number;
  readonly failureBudget: number;
  readonly gate: Gate;
  readonly window: WindowMode;
  readonly directPush: boolean;
  readonly revertOnRollback: boolean;
  readonly keepMs: number;
  /** The new stack's share of traffic at each step of the cutover, in percent, rising to 100. */
  readonly traffic: readonly number[];
  /** Whether raising the schema version snapshots the group's database first. */
  readonly backup: boolean;
}

/** A query judged on a new stack (see the policy schema's health.analysis). */
export interface AnalysisQuery {
  readonly name: string;
  /** The query with its placeholders ({{group}}, {{colour}}, ...). */
  readonly query: string;
  readonly max?: number;
  readonly min?: number;
  /** Time between two measurements; undefined: the controller's health interval. */
  readonly intervalMs?: number;
  readonly failureLimit: number;
  readonly inconclusive: 'wait' | 'fail';
  /** The periods it is judged in. */
  readonly during: readonly ('verify' | 'observe' | 'replicate')[];
}

/** A freeze: whole UTC days, both ends included. */
export interface Freeze {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  /** Rings it applies to; undefined means all. */
  readonly rings?: readonly string[];
}

export interface PromotionPolicy {
  readonly order: readonly string[];
  readonly rings: Readonly<Record<string, RingPolicy>>;
  readonly freeze: readonly Freeze[];
  readonly health: {
    readonly gracePeriodMs: number;
    readonly observeMs: number;
    readonly analysis: readonly AnalysisQuery[];
  };
  readonly decommission: boolean;
  /** Rules for tenant moves. */
  readonly moves: MovePolicy;
  readonly file: string;
}

/** How tenant moves are governed. */
export interface MovePolicy {
  /** A promoted replica is given a standby in another zone (see DatabasePort.ensureStandby). */
  readonly standby?: boolean;
  /** The same move must first have succeeded in the sandbox constellation that follows this branch. */
  readonly rehearsal?: { readonly branch: string };
}

/** Everything one commit says, with the parsed files kept for source positions. */
export interface Constellation {
  readonly name: string;
  readonly rings: readonly Ring[];
  readonly releases: ReadonlyMap<string, Release>;
  readonly groups: ReadonlyMap<string, Group>;
  readonly policy: PromotionPolicy;
  readonly ringSetFile: string;
  /** Transitions approved through groups/approvals/, by id. */
  readonly approvals: ReadonlySet<string>;
  /**
   * Held transitions to try again, by id (`<group>@<commit, 12 characters>`,
   * the commit the group is held for), from groups/retries/. Like approvals,
   * a retry of a group that is gone or no longer held is no error: it names
   * history, and the planner ignores it.
   */
  readonly retries: ReadonlySet<string>;
  /** Parsed files by path, for locating anything later. */
  readonly files: ReadonlyMap<string, ParsedFile>;
}
