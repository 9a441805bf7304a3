/**
 * Cross-file rules about groups: their ring, names, tenants, resources and
 * windows, checked over every group at once. A long-running process keeps
 * a GroupRuleIndex instead (group-rule-index.ts), which reaches the same
 * findings by checking only what changed.
 */
import type { DiagnosticSink } from './diagnostics.js';
import {
  type Claim,
  checkFileName,
  checkRingOf,
  checkTestTenant,
  checkWindow,
  checkWindowRequired,
  databaseKey,
  namespaceKey,
  newWindowChecks,
  reportTakenClaim,
  reportTakenDatabase,
  reportTakenNamespace,
  ringIndexOf,
  warnEmptyRings,
} from './group-checks.js';
import type { PartialModel } from './partial-model.js';
import type { Group } from './types.js';

/**
 * Runs the group rules, the policy's rule for each group included; the
 * ring-dependent ones only when groups/rings.yaml could be read. The first
 * group in model order keeps a tenant id, host, database or namespace; later
 * ones get the error. Warns about empty rings only when nothing is in error.
 */
export function checkGroups(model: PartialModel, sink: DiagnosticSink): void {
  const rings = model.ringSet?.rings;
  if (rings && model.policy) {
    for (const group of model.groups.values()) checkWindowRequired(model, model.policy, group, sink);
  }
  const windowChecks = newWindowChecks();
  const tenantIds = new Map<string, Claim>();
  const hosts = new Map<string, Claim>();
  const databases = new Map<string, Group>();
  const namespaces = new Map<string, Group>();
  for (const group of model.groups.values()) {
    checkFileName(model, group, sink);
    if (rings) checkRingOf(model, group, rings, sink);
    checkWindow(model, group, sink, windowChecks);
    group.tenants.forEach((t, index) => {
      const claim = { group, index };
      const sameId = tenantIds.get(t.id);
      if (sameId) reportTakenClaim(model, sink, t.id, sameId, claim, 'id');
      else tenantIds.set(t.id, claim);
      const sameHost = hosts.get(t.host);
      if (sameHost) reportTakenClaim(model, sink, t.host, sameHost, claim, 'host');
      else hosts.set(t.host, claim);
    });
    const db = databaseKey(group);
    const dbOwner = databases.get(db);
    if (dbOwner) reportTakenDatabase(model, sink, group, dbOwner);
    else databases.set(db, group);
    const ns = namespaceKey(group);
    const nsOwner = namespaces.get(ns);
    if (nsOwner) reportTakenNamespace(model, sink, group, nsOwner);
    else namespaces.set(ns, group);
  }
  if (!rings) return;
  const ringIndex = ringIndexOf(rings);
  for (const claim of tenantIds.values()) {
    const testOf = claim.group.tenants[claim.index]!.testOf;
    if (testOf !== undefined) checkTestTenant(model, claim, tenantIds.get(testOf), ringIndex, sink);
  }
  // An error elsewhere can leave groups out of the model; warning about empty rings then is noise.
  if (!sink.hasErrors()) {
    const used = new Set([...model.groups.values()].map((g) => g.ring));
    warnEmptyRings(model, rings, (ring) => used.has(ring), sink);
  }
}
