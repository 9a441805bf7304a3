/**
 * Policy verdicts on a planned change: may it go, and why not. Pure functions
 * of the two constellations, the plan, the time and the bake evidence
 * gathered before.
 */
import type { ChangePlan, RingChange } from '../plan/change-plan.js';
import type { Constellation, Ring } from '../model/types.js';
import { compareVersions } from '../model/versions.js';
import { moveVerdicts } from './move-verdicts.js';
import { decommissionForbidden, decommissioned } from '../plan/tenant-moves.js';
import { ringContext } from '../status/reporter.js';
import type { BakeEvidenceReport, BakeQuestion } from './bake-evidence.js';
import type { RehearsalReport } from './rehearsal.js';
import { activeFreeze, dayAfter } from './freeze.js';

/** pass and fail are decided here; unverified needs evidence we lack; info states a requirement. */
export type VerdictStatus = 'pass' | 'fail' | 'unverified' | 'info';

export interface Verdict {
  readonly rule: string;
  readonly status: VerdictStatus;
  readonly ring?: string;
  readonly group?: string;
  readonly message: string;
}

/** What was looked up outside the two commits for the rules that need it. */
export interface Evidence {
  /** Answers to `bakeQuestions`. */
  readonly bake?: BakeEvidenceReport;
  /** Answers to `rehearsalQuestions`. */
  readonly rehearsal?: RehearsalReport;
}

/**
 * Every verdict on `plan`, rings in order, then groups, releases and the
 * policy itself. The bake and rehearsal rules are judged on `evidence`: pass
 * or fail where it holds evidence, unverified where it is absent.
 */
export function evaluateChange(
  plan: ChangePlan,
  base: Constellation,
  head: Constellation,
  now: Date,
  evidence: Evidence = {},
): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const change of plan.rings) verdicts.push(...ringVerdicts(change, base, head, now, evidence.bake));
  verdicts.push(...groupVerdicts(plan, base, head, evidence.rehearsal));
  for (const r of plan.releases) {
    if (r.change === 'changed' && r.runningIn.length) {
      verdicts.push({
        rule: 'release-immutable',
        status: 'fail',
        message: `release ${r.version} changes while ring ${r.runningIn.join(', ')} runs it; a release is fixed once it runs: describe a new release instead`,
      });
    }
  }
  if (plan.policyChanged) {
    const strictest = Math.max(
      ...Object.values(head.policy.rings).map((r) => r.approvals),
      ...Object.values(base.policy.rings).map((r) => r.approvals),
    );
    verdicts.push({
      rule: 'approvals',
      status: 'info',
      message: `changes the promotion policy itself: needs ${strictest} approving reviews (the strictest ring's)`,
    });
  }
  return verdicts;
}

/** True when no verdict fails. */
export function isAllowed(verdicts: readonly Verdict[]): boolean {
  return verdicts.every((v) => v.status !== 'fail');
}

/**
 * What the bake rule of `plan` needs to know, one question per promotion
 * (not rollback) into a ring whose previous ring has a bake time: since when
 * has the release been healthy in that previous ring?
 */
export function bakeQuestions(plan: ChangePlan, head: Constellation): BakeQuestion[] {
  return plan.rings.flatMap((change) => {
    const previous = bakedRing(change, head);
    return previous && head.policy.rings[previous.name]!.bakeMs > 0
      ? [{ ring: previous.name, release: change.to }]
      : [];
  });
}

/** The ring the release must have baked in before `change`: the previous ring, unless this is a rollback or the first ring. */
function bakedRing(change: RingChange, head: Constellation): Ring | undefined {
  return change.index > 0 && change.kind !== 'rollback' ? head.rings[change.index - 1] : undefined;
}

function ringVerdicts(
  change: RingChange,
  base: Constellation,
  head: Constellation,
  now: Date,
  bake: BakeEvidenceReport | undefined,
): Verdict[] {
  const ring = change.ring;
  const rules = head.policy.rings[ring]!;
  const out: Verdict[] = [skipVerdict(change, base, head)];
  out.push(
    change.toSchema >= change.fromSchema
      ? {
          rule: 'lineage',
          status: 'pass',
          ring,
          message: `data layout ${change.fromSchema} → ${change.toSchema} does not go backwards`,
        }
      : {
          rule: 'lineage',
          status: 'fail',
          ring,
          message: `${change.to} needs data layout ${change.toSchema}, older than the ${change.fromSchema} ring ${ring} already has; the data layout never goes backwards: ship a fix forward`,
        },
  );
  const freeze = activeFreeze(head.policy, ring, now);
  if (!freeze) out.push({ rule: 'freeze', status: 'pass', ring, message: 'no freeze now' });
  else if (change.kind === 'rollback')
    out.push({
      rule: 'freeze',
      status: 'pass',
      ring,
      message: `freeze ${freeze.name} is on, but rollbacks are allowed`,
    });
  else {
    out.push({
      rule: 'freeze',
      status: 'fail',
      ring,
      message: `inside freeze ${freeze.name} (${freeze.from} to ${freeze.to}); promote on or after ${dayAfter(freeze.to)}, or roll back instead`,
    });
  }
  const previous = bakedRing(change, head);
  if (previous) out.push(bakeVerdict(change, previous, head, now, bake));
  const who = rules.reviewers.length ? ` from ${rules.reviewers.join(', ')}` : '';
  out.push({
    rule: 'approvals',
    status: 'info',
    ring,
    message: `needs ${rules.approvals} approving review${rules.approvals === 1 ? '' : 's'}${who}`,
  });
  if (rules.gate === 'manual')
    out.push({
      rule: 'gate',
      status: 'info',
      ring,
      message: 'each group waits for a manual approval before cutover',
    });
  if (rules.window === 'maintenance')
    out.push({
      rule: 'window',
      status: 'info',
      ring,
      message: 'each group changes only inside its maintenance window',
    });
  return out;
}

/**
 * Has `change.to` been healthy in `previous` for that ring's bake time? By the
 * evidence when there is some; unverified when there is none (the controller
 * still holds the rollout until the release has baked).
 */
function bakeVerdict(
  change: RingChange,
  previous: Ring,
  head: Constellation,
  now: Date,
  bake: BakeEvidenceReport | undefined,
): Verdict {
  const { ring, to } = change;
  const { bake: needed, bakeMs } = head.policy.rings[previous.name]!;
  if (bakeMs === 0)
    return { rule: 'bake', status: 'pass', ring, message: `ring ${previous.name} has no bake time` };
  const context = ringContext(previous.name);
  const holds = 'the controller holds the rollout until then';
  if (!bake)
    return {
      rule: 'bake',
      status: 'unverified',
      ring,
      message: `${to} must have been healthy in ${previous.name} for ${needed}; not checked here: the evidence is the controller's ${context} status on GitHub, read with --github OWNER/REPO; ${holds}`,
    };
  const healthy = bake.lookups.find((l) => l.ring === previous.name && l.release === to)?.healthy;
  if (!healthy)
    return {
      rule: 'bake',
      status: 'unverified',
      ring,
      message: `${to} must have been healthy in ${previous.name} for ${needed}; ${bake.source} shows no ${context} success on the commit that promoted ${to} to ${previous.name}; ${holds}`,
    };
  const baked = Math.max(0, now.getTime() - healthy.since.getTime());
  const evidence = `${context} on ${healthy.commit.slice(0, 12)}`;
  return baked >= bakeMs
    ? {
        rule: 'bake',
        status: 'pass',
        ring,
        message: `${to} healthy in ${previous.name} since ${formatInstant(healthy.since)}, ${formatElapsed(baked)} of ${needed} (${evidence})`,
      }
    : {
        rule: 'bake',
        status: 'fail',
        ring,
        message: `${to} healthy in ${previous.name} for ${formatElapsed(baked)} of ${needed}; promote after ${formatInstant(new Date(healthy.since.getTime() + bakeMs))} (${evidence})`,
      };
}

/** A time as ISO 8601 UTC to the minute (`2026-11-20T10:00Z`), with seconds only when there are some. */
export function formatInstant(t: Date): string {
  return t
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:00Z$/, 'Z');
}

/** A duration in whole minutes as `52h`, `5h30m` or `45m`. */
export function formatElapsed(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const [h, m] = [Math.floor(minutes / 60), minutes % 60];
  if (h === 0) return `${m}m`;
  return m === 0 ? `${h}h` : `${h}h${m}m`;
}

/**
 * A release may enter ring N only from ring N-1 (the nearest earlier ring on its
 * line must already run it at base), except a back-port to a line that the
 * earlier rings have left behind, and a rollback.
 */
function skipVerdict(change: RingChange, base: Constellation, head: Constellation): Verdict {
  const ring = change.ring;
  if (change.kind === 'rollback')
    return { rule: 'no-skip', status: 'pass', ring, message: `rollback from ${change.from} to ${change.to}` };
  if (change.index === 0)
    return { rule: 'no-skip', status: 'pass', ring, message: `${change.to} enters the first ring` };
  const line = head.releases.get(change.to)!.line;
  const earlier = base.rings.filter((r) => head.rings.findIndex((h) => h.name === r.name) < change.index);
  const sameLine = earlier.filter((r) => base.releases.get(r.release)?.line === line);
  const nearest = sameLine[sameLine.length - 1];
  if (nearest) {
    return nearest.release === change.to
      ? { rule: 'no-skip', status: 'pass', ring, message: `${change.to} already runs in ${nearest.name}` }
      : {
          rule: 'no-skip',
          status: 'fail',
          ring,
          message: `${change.to} skips ring ${nearest.name}, which runs ${nearest.release}; promote it to ${nearest.name} first`,
        };
  }
  const previous = earlier[earlier.length - 1];
  const previousLine = previous && base.releases.get(previous.release)?.line;
  if (previousLine && compareVersions(line, previousLine) < 0) {
    return {
      rule: 'no-skip',
      status: 'pass',
      ring,
      message: `back-port on line ${line}, which the earlier rings have left behind (${previous.name} runs ${previousLine})`,
    };
  }
  return {
    rule: 'no-skip',
    status: 'fail',
    ring,
    message: `${change.to} runs in no earlier ring yet; promote it to ${previous?.name ?? 'the first ring'} first`,
  };
}

function groupVerdicts(
  plan: ChangePlan,
  base: Constellation,
  head: Constellation,
  rehearsal: RehearsalReport | undefined,
): Verdict[] {
  const out: Verdict[] = moveVerdicts(plan.moves, base, head, rehearsal);
  for (const g of plan.groups) {
    if (g.kinds.includes('removed') && !head.policy.decommission) {
      out.push({
        rule: 'decommission',
        status: 'fail',
        group: g.group,
        message: `removes group ${g.group}, and the policy does not allow decommissioning (decommission: false); suspend it instead`,
      });
    }
    if (g.kinds.includes('tenants') && !head.policy.decommission) {
      const kept = new Set(head.groups.get(g.group)!.tenants.map((t) => t.id));
      const departing = base.groups.get(g.group)!.tenants.filter((t) => !kept.has(t.id));
      const gone = decommissioned(
        departing.map((t) => t.id),
        head,
      );
      if (gone.length)
        out.push({
          rule: 'decommission',
          status: 'fail',
          group: g.group,
          message: decommissionForbidden(g.group, gone),
        });
    }
    if (!g.kinds.includes('moved')) continue;
    const from = base.rings.find((r) => r.name === base.groups.get(g.group)!.ring)!;
    const to = head.rings.find((r) => r.name === g.ring)!;
    const fromSchema = base.releases.get(from.release)!.schemaVersion;
    const toSchema = head.releases.get(to.release)!.schemaVersion;
    out.push(
      toSchema >= fromSchema
        ? {
            rule: 'lineage',
            status: 'pass',
            group: g.group,
            message: `moves from ${from.name} (${from.release}) to ${to.name} (${to.release}); data layout ${fromSchema} → ${toSchema}`,
          }
        : {
            rule: 'lineage',
            status: 'fail',
            group: g.group,
            message: `moving from ${from.name} to ${to.name} would take data layout ${fromSchema} back to ${toSchema}; wait until ${to.name} runs a release with layout ${fromSchema} or later`,
          },
    );
  }
  return out;
}
