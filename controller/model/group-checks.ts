/**
 * The group rules one finding at a time: about one group, one claim on a
 * tenant id, host, database or namespace, or one test tenant. The full pass
 * (group-rules.ts) and the incremental one (group-rule-index.ts) both report
 * through these, so a message is written in one place only.
 */
import { validate as isValidCron } from 'node-cron';
import type { DiagnosticSink } from './diagnostics.js';
import { stem } from './layout.js';
import { MAX_LABEL_LENGTH, longestWorkloadName } from './naming.js';
import { type PartialModel, at, hasFailedGroups, suggestRing } from './partial-model.js';
import type { Group, PromotionPolicy, Ring } from './types.js';

/** One tenant of a group, by its index: it claims its tenant id and its host. */
export interface Claim {
  readonly group: Group;
  readonly index: number;
}

/** Reports a group whose file is not named after it. */
export function checkFileName(model: PartialModel, group: Group, sink: DiagnosticSink): void {
  if (stem(group.file) === group.name) return;
  sink.error(
    at(model, group.file, ['name']),
    'file-name-mismatch',
    `group "${group.name}" must be in groups/${group.name}.yaml; rename the file or fix the name`,
  );
}

/** Reports a group in an unknown ring, or whose workload names would be too long for its ring's release. */
export function checkRingOf(
  model: PartialModel,
  group: Group,
  rings: readonly Ring[],
  sink: DiagnosticSink,
): void {
  const ring = rings.find((r) => r.name === group.ring);
  if (!ring) {
    sink.error(
      at(model, group.file, ['ring']),
      'unknown-ring',
      `group "${group.name}" is in ring "${group.ring}", which groups/rings.yaml does not define; ${suggestRing(group.ring, rings)}`,
    );
    return;
  }
  const release = model.releases.get(ring.release);
  const constellation = model.ringSet!.name;
  for (const service of Object.keys(release?.services ?? {})) {
    const name = longestWorkloadName(constellation, group.name, service);
    if (name.length > MAX_LABEL_LENGTH) {
      sink.error(
        at(model, group.file, ['name']),
        'name-too-long',
        `workload name ${name} (${name.length} characters) exceeds Kubernetes' ${MAX_LABEL_LENGTH}; shorten the group, constellation or service name`,
      );
      return;
    }
  }
}

/** Reports a group without a maintenance window in a ring that changes groups only in their window. */
export function checkWindowRequired(
  model: PartialModel,
  policy: PromotionPolicy,
  group: Group,
  sink: DiagnosticSink,
): void {
  if (policy.rings[group.ring]?.window !== 'maintenance' || group.maintenanceWindow) return;
  sink.error(
    at(model, group.file, ['ring']),
    'missing-maintenance-window',
    `ring "${group.ring}" changes groups only in their maintenance window, and group "${group.name}" has none; add maintenanceWindow`,
  );
}

/** Verdicts on cron lines and zones: thousands of groups share a handful, each distinct one is checked once. */
export interface WindowChecks {
  readonly zones: Map<string, string | undefined>;
  readonly crons: Map<string, boolean>;
}

/** An empty memo for checkWindow. */
export function newWindowChecks(): WindowChecks {
  return { zones: new Map(), crons: new Map() };
}

/** Reports a maintenance window with a bad cron line, zone or duration. */
export function checkWindow(
  model: PartialModel,
  group: Group,
  sink: DiagnosticSink,
  memo: WindowChecks,
): void {
  const mw = group.maintenanceWindow;
  if (!mw) return;
  let cronOk = memo.crons.get(mw.cron);
  if (cronOk === undefined) {
    cronOk = mw.cron.trim().split(/\s+/).length === 5 && isValidCron(mw.cron);
    memo.crons.set(mw.cron, cronOk);
  }
  if (!cronOk) {
    sink.error(
      at(model, group.file, ['maintenanceWindow', 'cron']),
      'invalid-cron',
      `"${mw.cron}" is not a five-field cron expression (minute hour day-of-month month day-of-week), for example "0 2 * * SUN"`,
    );
  }
  if (!memo.zones.has(mw.timezone)) memo.zones.set(mw.timezone, canonicalTimeZone(mw.timezone));
  const canonical = memo.zones.get(mw.timezone);
  if (canonical !== mw.timezone) {
    const hint = canonical
      ? `write it as ${canonical}`
      : 'use an IANA zone such as Europe/Berlin or America/New_York';
    sink.error(
      at(model, group.file, ['maintenanceWindow', 'timezone']),
      'invalid-timezone',
      `unknown time zone "${mw.timezone}"; ${hint}`,
    );
  }
  if (mw.durationMs <= 0) {
    sink.error(
      at(model, group.file, ['maintenanceWindow', 'duration']),
      'window-duration',
      'a maintenance window must stay open for some time; give a duration above 0',
    );
  }
}

/** The zone's canonical spelling, or undefined when the runtime does not know it. */
function canonicalTimeZone(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Reports `claim` on the tenant id or host `key`, which `first` (earlier in model order) holds already. */
export function reportTakenClaim(
  model: PartialModel,
  sink: DiagnosticSink,
  key: string,
  first: Claim,
  claim: Claim,
  field: 'id' | 'host',
): void {
  const holder = first.group.tenants[first.index]!.id;
  const where =
    first.group === claim.group
      ? 'earlier in this group'
      : `in group "${first.group.name}" (${first.group.file})`;
  if (field === 'id') {
    sink.error(
      at(model, claim.group.file, ['tenants', claim.index, field]),
      'duplicate-tenant',
      `tenant id "${key}" is already used ${where}; tenant ids are unique across the constellation`,
    );
  } else {
    sink.error(
      at(model, claim.group.file, ['tenants', claim.index, field]),
      'duplicate-host',
      `host ${key} is already served for tenant "${holder}" ${where}; each tenant needs its own host`,
    );
  }
}

/** What makes two groups' databases the same instance. */
export function databaseKey(group: Group): string {
  const db = group.resources.database;
  return `${db.engine}:${db.region ?? ''}:${db.instance}`;
}

/** Reports `group`'s database, which `owner` (earlier in model order) has already. */
export function reportTakenDatabase(
  model: PartialModel,
  sink: DiagnosticSink,
  group: Group,
  owner: Group,
): void {
  sink.error(
    at(model, group.file, ['resources', 'database', 'instance']),
    'duplicate-database',
    `database instance ${group.resources.database.instance} already belongs to group "${owner.name}" (${owner.file}); a database belongs to one group`,
  );
}

/** What makes two groups' namespaces the same. */
export function namespaceKey(group: Group): string {
  return `${group.resources.cluster}/${group.resources.namespace}`;
}

/** Reports `group`'s namespace, which `owner` (earlier in model order) has already. */
export function reportTakenNamespace(
  model: PartialModel,
  sink: DiagnosticSink,
  group: Group,
  owner: Group,
): void {
  sink.error(
    at(model, group.file, ['resources', 'namespace']),
    'duplicate-namespace',
    `namespace ${namespaceKey(group)} already belongs to group "${owner.name}" (${owner.file}); give each group its own namespace`,
  );
}

/**
 * Reports a test tenant that tests itself, an unknown tenant, another test
 * tenant, or a tenant in an earlier ring. `claim` owns its tenant id, `prod`
 * is the owner of the id it tests (if any), `ringIndex` the rings' order.
 */
export function checkTestTenant(
  model: PartialModel,
  claim: Claim,
  prod: Claim | undefined,
  ringIndex: ReadonlyMap<string, number>,
  sink: DiagnosticSink,
): void {
  const { group, index } = claim;
  const tenant = group.tenants[index]!;
  if (tenant.testOf === undefined) return;
  // Located only for a finding: locating parses the file again, with positions.
  const where = () => at(model, group.file, ['tenants', index, 'testOf']);
  if (tenant.testOf === tenant.id) {
    sink.error(where(), 'test-tenant-self', `tenant "${tenant.id}" cannot be a test tenant of itself`);
  } else if (!prod) {
    if (hasFailedGroups(model)) return; // the production tenant may sit in a group file that failed to load
    sink.error(
      where(),
      'unknown-tenant',
      `tenant "${tenant.id}" tests "${tenant.testOf}", which is no tenant of any group`,
    );
  } else if (prod.group.tenants[prod.index]!.testOf !== undefined) {
    sink.error(
      where(),
      'test-tenant-chain',
      `tenant "${tenant.id}" tests "${tenant.testOf}", which is itself a test tenant; name the production tenant`,
    );
  } else {
    const mine = ringIndex.get(group.ring);
    const theirs = ringIndex.get(prod.group.ring);
    if (mine !== undefined && theirs !== undefined && mine > theirs) {
      sink.error(
        where(),
        'test-tenant-order',
        `test tenant "${tenant.id}" is in ring "${group.ring}", later than its production tenant "${tenant.testOf}" in ring "${prod.group.ring}"; move it to a group in ring "${prod.group.ring}" or earlier`,
      );
    }
  }
}

/** Ring name -> position in the rollout order, for checkTestTenant. */
export function ringIndexOf(rings: readonly Ring[]): Map<string, number> {
  return new Map(rings.map((r) => [r.name, r.index]));
}

/** Warns about each ring no group is in (`isUsed` says which are). */
export function warnEmptyRings(
  model: PartialModel,
  rings: readonly Ring[],
  isUsed: (ring: string) => boolean,
  sink: DiagnosticSink,
): void {
  for (const ring of rings) {
    if (!isUsed(ring.name)) {
      sink.warn(
        at(model, model.ringSet!.file, ['rings', ring.index, 'name']),
        'ring-empty',
        `ring "${ring.name}" has no groups; its releases reach nobody`,
      );
    }
  }
}
