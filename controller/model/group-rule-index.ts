/**
 * The group rules of group-rules.ts, checked incrementally. A process that
 * loads commit after commit keeps one index (LoadCache owns it): each check
 * compares the model's groups with those of the previous check, by object
 * (the LoadCache hands back the same Group for an unchanged file), and
 * re-checks only the groups that came or went and the keys and test tenants
 * they touch. The findings are those of checkGroups on the same model.
 */
import { ClaimTable, type OwnerChange } from './claim-table.js';
import { type Diagnostic, DiagnosticSink } from './diagnostics.js';
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
import { type PartialModel, hasFailedGroups } from './partial-model.js';
import type { Group, PromotionPolicy, Release, Ring } from './types.js';

/** What the ring-dependent findings of a group depend on besides the group itself. */
interface RingContext {
  readonly rings?: readonly Ring[];
  readonly constellation?: string;
  /** The policy, when checkPolicy runs (rings and a policy both present). */
  readonly policy?: PromotionPolicy;
  /** The release of each ring, as the model has it. */
  readonly releases: readonly (Release | undefined)[];
  readonly ringIndex: ReadonlyMap<string, number>;
}

/** Distinct cron lines and zones remembered at most; past this the memo starts over. */
const MAX_WINDOW_MEMO = 10_000;

/**
 * What the group rules found at the last check, kept for the next one: the
 * claims on every tenant id, host, database and namespace, the findings of
 * each group, the test tenants and whom they test. One index serves one
 * sequence of checks (one LoadCache); it never throws for bad content.
 */
export class GroupRuleIndex {
  /** The groups of the last check: the model's own map, which nothing changes after loading. */
  #previous: ReadonlyMap<string, Group> = new Map();
  /** The same groups, as a set. */
  readonly #known = new Set<Group>();
  #context?: RingContext;
  #failedGroups = false;
  #windowChecks = newWindowChecks();
  /** Findings about one group alone (file name, window), for groups that have any. */
  readonly #own = new Map<Group, readonly Diagnostic[]>();
  /** Findings that depend on the rings, releases and policy too. */
  readonly #ringBound = new Map<Group, readonly Diagnostic[]>();
  readonly #ids = new ClaimTable();
  readonly #hosts = new ClaimTable();
  readonly #databases = new ClaimTable();
  readonly #namespaces = new ClaimTable();
  /** Groups per ring. */
  readonly #ringSizes = new Map<string, number>();
  /** Test tenants that own their id, by id. */
  readonly #testers = new Map<string, Claim>();
  /** Production tenant id -> ids of the test tenants that name it. */
  readonly #testedBy = new Map<string, Set<string>>();
  readonly #testFindings = new Map<string, readonly Diagnostic[]>();

  /**
   * Reports to `sink` what checkGroups would report for `model`, and keeps
   * what it learnt for the next check. `sink` must already hold every other
   * finding of the load: empty rings are warned about only when it has no error.
   */
  check(model: PartialModel, sink: DiagnosticSink): void {
    const context = ringContextOf(model);
    let contextChanged = !sameContext(this.#context, context);
    let changes = diffGroups(this.#previous, model.groups, this.#known);
    if (!changes) {
      // Claims of unchanged groups would be out of order: start over (sources list paths in one fixed order).
      this.#clear();
      contextChanged = true;
      changes = { added: [...model.groups.values()], removed: [] };
    }
    this.#previous = model.groups;
    this.#context = context;
    for (const group of changes.removed) this.#forget(group);
    for (const group of changes.added) this.#learn(model, group);
    // Positions are needed only to order the claims on a key claimed twice or more: built when first asked.
    let rank: Map<Group, number> | undefined;
    const rankOf = (group: Group) => {
      if (!rank) {
        rank = new Map();
        for (const g of model.groups.values()) rank.set(g, rank.size);
      }
      return rank.get(group)!;
    };
    this.#settleClaims(model, rankOf, context, contextChanged);
    if (contextChanged) this.#ringBound.clear();
    const recheck = contextChanged ? model.groups.values() : changes.added;
    for (const group of recheck) this.#checkRingBound(model, group, context);

    for (const findings of this.#own.values()) sink.items.push(...findings);
    for (const findings of this.#ringBound.values()) sink.items.push(...findings);
    for (const table of [this.#ids, this.#hosts, this.#databases, this.#namespaces])
      table.reportTo(sink.items);
    for (const findings of this.#testFindings.values()) sink.items.push(...findings);
    // An error elsewhere can leave groups out of the model; warning about empty rings then is noise.
    if (context.rings && !sink.hasErrors()) {
      warnEmptyRings(model, context.rings, (ring) => (this.#ringSizes.get(ring) ?? 0) > 0, sink);
    }
  }

  #learn(model: PartialModel, group: Group): void {
    if (this.#windowChecks.crons.size + this.#windowChecks.zones.size > MAX_WINDOW_MEMO) {
      this.#windowChecks = newWindowChecks();
    }
    this.#known.add(group);
    const sink = new DiagnosticSink();
    checkFileName(model, group, sink);
    checkWindow(model, group, sink, this.#windowChecks);
    if (sink.items.length > 0) this.#own.set(group, sink.items);
    this.#ringSizes.set(group.ring, (this.#ringSizes.get(group.ring) ?? 0) + 1);
    group.tenants.forEach((t, index) => {
      const claim = { group, index };
      this.#ids.add(t.id, claim);
      this.#hosts.add(t.host, claim);
    });
    const whole = { group, index: 0 };
    this.#databases.add(databaseKey(group), whole);
    this.#namespaces.add(namespaceKey(group), whole);
  }

  #forget(group: Group): void {
    this.#known.delete(group);
    this.#own.delete(group);
    this.#ringBound.delete(group);
    const size = (this.#ringSizes.get(group.ring) ?? 0) - 1;
    if (size > 0) this.#ringSizes.set(group.ring, size);
    else this.#ringSizes.delete(group.ring);
    group.tenants.forEach((t, index) => {
      this.#ids.remove(t.id, group, index);
      this.#hosts.remove(t.host, group, index);
    });
    this.#databases.remove(databaseKey(group), group, 0);
    this.#namespaces.remove(namespaceKey(group), group, 0);
  }

  #settleClaims(
    model: PartialModel,
    rankOf: (group: Group) => number,
    context: RingContext,
    contextChanged: boolean,
  ): void {
    const moved = this.#ids.settle(rankOf, (key, owner, claim, sink) =>
      reportTakenClaim(model, sink, key, owner, claim, 'id'),
    );
    this.#hosts.settle(rankOf, (key, owner, claim, sink) =>
      reportTakenClaim(model, sink, key, owner, claim, 'host'),
    );
    this.#databases.settle(rankOf, (_key, owner, claim, sink) =>
      reportTakenDatabase(model, sink, claim.group, owner.group),
    );
    this.#namespaces.settle(rankOf, (_key, owner, claim, sink) =>
      reportTakenNamespace(model, sink, claim.group, owner.group),
    );
    const failedGroups = hasFailedGroups(model);
    const recheckAll = contextChanged || failedGroups !== this.#failedGroups;
    this.#failedGroups = failedGroups;
    const dirty = this.#moveTesters(moved);
    if (recheckAll) {
      this.#testFindings.clear();
      dirty.clear();
      for (const id of this.#testers.keys()) dirty.add(id);
    }
    for (const id of dirty) {
      this.#testFindings.delete(id);
      const claim = this.#testers.get(id);
      if (!claim || !context.rings) continue;
      const sink = new DiagnosticSink();
      const prod = this.#ids.owner(claim.group.tenants[claim.index]!.testOf!);
      checkTestTenant(model, claim, prod, context.ringIndex, sink);
      if (sink.items.length > 0) this.#testFindings.set(id, sink.items);
    }
  }

  /** Follows the new owners of tenant ids; returns the ids of the test tenants to check again. */
  #moveTesters(moved: readonly OwnerChange[]): Set<string> {
    for (const { key, before, after } of moved) {
      const testedBefore = before && before.group.tenants[before.index]!.testOf;
      if (testedBefore !== undefined) {
        this.#testers.delete(key);
        const testers = this.#testedBy.get(testedBefore);
        testers?.delete(key);
        if (testers?.size === 0) this.#testedBy.delete(testedBefore);
      }
      const testedAfter = after && after.group.tenants[after.index]!.testOf;
      if (testedAfter !== undefined) {
        this.#testers.set(key, after!);
        let testers = this.#testedBy.get(testedAfter);
        if (!testers) this.#testedBy.set(testedAfter, (testers = new Set()));
        testers.add(key);
      }
    }
    const dirty = new Set<string>();
    for (const { key } of moved) {
      dirty.add(key);
      for (const tester of this.#testedBy.get(key) ?? []) dirty.add(tester);
    }
    return dirty;
  }

  #checkRingBound(model: PartialModel, group: Group, context: RingContext): void {
    if (!context.rings) return;
    const sink = new DiagnosticSink();
    if (context.policy) checkWindowRequired(model, context.policy, group, sink);
    checkRingOf(model, group, context.rings, sink);
    if (sink.items.length > 0) this.#ringBound.set(group, sink.items);
  }

  #clear(): void {
    this.#known.clear();
    this.#own.clear();
    this.#ringBound.clear();
    for (const table of [this.#ids, this.#hosts, this.#databases, this.#namespaces]) table.clear();
    this.#ringSizes.clear();
    this.#testers.clear();
    this.#testedBy.clear();
    this.#testFindings.clear();
  }
}

function ringContextOf(model: PartialModel): RingContext {
  const rings = model.ringSet?.rings;
  return {
    rings,
    constellation: model.ringSet?.name,
    policy: rings && model.policy,
    releases: rings?.map((r) => model.releases.get(r.release)) ?? [],
    ringIndex: ringIndexOf(rings ?? []),
  };
}

function sameContext(a: RingContext | undefined, b: RingContext): boolean {
  return (
    a !== undefined &&
    a.rings === b.rings &&
    a.constellation === b.constellation &&
    a.policy === b.policy &&
    a.releases.length === b.releases.length &&
    a.releases.every((r, i) => r === b.releases[i])
  );
}

/**
 * The groups that came and went between two models, found by walking both in
 * order; undefined when groups kept from before are no longer in their old
 * relative order. `known` holds the groups of `previous`.
 */
function diffGroups(
  previous: ReadonlyMap<string, Group>,
  current: ReadonlyMap<string, Group>,
  known: ReadonlySet<Group>,
): { added: Group[]; removed: Group[] } | undefined {
  const added: Group[] = [];
  const removed: Group[] = [];
  const isGone = (group: Group) => current.get(group.name) !== group;
  const before = previous.values();
  let next = before.next();
  for (const group of current.values()) {
    while (!next.done && next.value !== group && isGone(next.value)) {
      removed.push(next.value);
      next = before.next();
    }
    if (!next.done && next.value === group) {
      next = before.next();
      continue;
    }
    if (known.has(group)) return undefined;
    added.push(group);
  }
  for (; !next.done; next = before.next()) {
    if (!isGone(next.value)) return undefined;
    removed.push(next.value);
  }
  return { added, removed };
}
