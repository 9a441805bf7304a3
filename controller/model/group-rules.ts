/** Cross-file rules about groups: their ring, names, tenants, resources and windows. */
import { validate as isValidCron } from 'node-cron';
import type { DiagnosticSink } from './diagnostics.js';
import { stem } from './layout.js';
import { MAX_LABEL_LENGTH, longestWorkloadName } from './naming.js';
import { type PartialModel, at, hasFailedGroups, suggestRing } from './partial-model.js';
import type { Group, Ring } from './types.js';

interface Seen {
  readonly group: Group;
  readonly index: number;
}

/** Runs the group rules; ring-dependent ones only when groups/rings.yaml could be read. */
export function checkGroups(model: PartialModel, sink: DiagnosticSink): void {
  const rings = model.ringSet?.rings;
  // Thousands of groups share a handful of zones and cron lines: check each distinct one once.
  const windowChecks: WindowChecks = { zones: new Map(), crons: new Map() };
  const tenantIds = new Map<string, Seen>();
  const hosts = new Map<string, Seen>();
  const databases = new Map<string, Group>();
  const namespaces = new Map<string, Group>();
  for (const group of model.groups.values()) {
    if (stem(group.file) !== group.name) {
      sink.error(
        at(model, group.file, ['name']),
        'file-name-mismatch',
        `group "${group.name}" must be in groups/${group.name}.yaml; rename the file or fix the name`,
      );
    }
    if (rings) checkRingOf(model, group, rings, sink);
    checkWindow(model, group, sink, windowChecks);
    group.tenants.forEach((t, index) => {
      claimUnique(model, sink, tenantIds, t.id, { group, index }, 'id', 'duplicate-tenant');
      claimUnique(model, sink, hosts, t.host, { group, index }, 'host', 'duplicate-host');
    });
    const db = `${group.resources.database.engine}:${group.resources.database.region ?? ''}:${group.resources.database.instance}`;
    const dbOwner = databases.get(db);
    if (dbOwner) {
      sink.error(
        at(model, group.file, ['resources', 'database', 'instance']),
        'duplicate-database',
        `database instance ${group.resources.database.instance} already belongs to group "${dbOwner.name}" (${dbOwner.file}); a database belongs to one group`,
      );
    } else databases.set(db, group);
    const ns = `${group.resources.cluster}/${group.resources.namespace}`;
    const nsOwner = namespaces.get(ns);
    if (nsOwner) {
      sink.error(
        at(model, group.file, ['resources', 'namespace']),
        'duplicate-namespace',
        `namespace ${ns} already belongs to group "${nsOwner.name}" (${nsOwner.file}); give each group its own namespace`,
      );
    } else namespaces.set(ns, group);
  }
  if (rings) checkTestTenants(model, rings, tenantIds, sink);
  // An error elsewhere can leave groups out of the model; warning about empty rings then is noise.
  if (rings && !sink.hasErrors()) warnEmptyRings(model, rings, sink);
}

function checkRingOf(model: PartialModel, group: Group, rings: readonly Ring[], sink: DiagnosticSink): void {
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

interface WindowChecks {
  readonly zones: Map<string, string | undefined>;
  readonly crons: Map<string, boolean>;
}

function checkWindow(model: PartialModel, group: Group, sink: DiagnosticSink, memo: WindowChecks): void {
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

function claimUnique(
  model: PartialModel,
  sink: DiagnosticSink,
  seen: Map<string, Seen>,
  key: string,
  claim: Seen,
  field: 'id' | 'host',
  rule: string,
): void {
  const first = seen.get(key);
  if (!first) {
    seen.set(key, claim);
    return;
  }
  const holder = first.group.tenants[first.index]!.id;
  const where =
    first.group === claim.group
      ? 'earlier in this group'
      : `in group "${first.group.name}" (${first.group.file})`;
  const message =
    field === 'id'
      ? `tenant id "${key}" is already used ${where}; tenant ids are unique across the constellation`
      : `host ${key} is already served for tenant "${holder}" ${where}; each tenant needs its own host`;
  sink.error(at(model, claim.group.file, ['tenants', claim.index, field]), rule, message);
}

function checkTestTenants(
  model: PartialModel,
  rings: readonly Ring[],
  tenants: Map<string, Seen>,
  sink: DiagnosticSink,
): void {
  const ringIndex = new Map(rings.map((r) => [r.name, r.index]));
  for (const { group, index } of tenants.values()) {
    const tenant = group.tenants[index]!;
    if (tenant.testOf === undefined) continue;
    const where = at(model, group.file, ['tenants', index, 'testOf']);
    const prod = tenants.get(tenant.testOf);
    if (tenant.testOf === tenant.id) {
      sink.error(where, 'test-tenant-self', `tenant "${tenant.id}" cannot be a test tenant of itself`);
    } else if (!prod) {
      if (hasFailedGroups(model)) continue; // the production tenant may sit in a group file that failed to load
      sink.error(
        where,
        'unknown-tenant',
        `tenant "${tenant.id}" tests "${tenant.testOf}", which is no tenant of any group`,
      );
    } else if (prod.group.tenants[prod.index]!.testOf !== undefined) {
      sink.error(
        where,
        'test-tenant-chain',
        `tenant "${tenant.id}" tests "${tenant.testOf}", which is itself a test tenant; name the production tenant`,
      );
    } else {
      const mine = ringIndex.get(group.ring);
      const theirs = ringIndex.get(prod.group.ring);
      if (mine !== undefined && theirs !== undefined && mine > theirs) {
        sink.error(
          where,
          'test-tenant-order',
          `test tenant "${tenant.id}" is in ring "${group.ring}", later than its production tenant "${tenant.testOf}" in ring "${prod.group.ring}"; move it to a group in ring "${prod.group.ring}" or earlier`,
        );
      }
    }
  }
}

function warnEmptyRings(model: PartialModel, rings: readonly Ring[], sink: DiagnosticSink): void {
  const used = new Set([...model.groups.values()].map((g) => g.ring));
  for (const ring of rings) {
    if (!used.has(ring.name)) {
      sink.warn(
        at(model, model.ringSet!.file, ['rings', ring.index, 'name']),
        'ring-empty',
        `ring "${ring.name}" has no groups; its releases reach nobody`,
      );
    }
  }
}
