/**
 * Policy verdicts on a planned change: may it go, and why not. Pure functions
 * of the two constellations, the plan and the time.
 */
import type { ChangePlan, RingChange } from '../plan/change-plan.js';
import type { Constellation } from '../model/types.js';
import { compareVersions } from '../model/versions.js';
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

/** Every verdict on `plan`, rings in order, then groups, releases and the policy itself. */
export function evaluateChange(
  plan: ChangePlan,
  base: Constellation,
  head: Constellation,
  now: Date,
): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const change of plan.rings) verdicts.push(...ringVerdicts(change, base, head, now));
  verdicts.push(...groupVerdicts(plan, base, head));
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

function ringVerdicts(change: RingChange, base: Constellation, head: Constellation, now: Date): Verdict[] {
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
  const previous = change.index > 0 ? head.rings[change.index - 1]! : undefined;
  if (previous && change.kind !== 'rollback') {
    const { bake, bakeMs } = head.policy.rings[previous.name]!;
    out.push({
      rule: 'bake',
      status: bakeMs > 0 ? 'unverified' : 'pass',
      ring,
      message:
        bakeMs > 0
          ? `${change.to} must have been healthy in ${previous.name} for ${bake}; not checked here: the evidence is the controller's rollout records, which a pull request check cannot read; the controller holds the rollout until then`
          : `ring ${previous.name} has no bake time`,
    });
  }
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

function groupVerdicts(plan: ChangePlan, base: Constellation, head: Constellation): Verdict[] {
  const out: Verdict[] = [];
  for (const g of plan.groups) {
    if (g.kinds.includes('removed') && !head.policy.decommission) {
      out.push({
        rule: 'decommission',
        status: 'fail',
        group: g.group,
        message: `removes group ${g.group}, and the policy does not allow decommissioning (decommission: false); suspend it instead`,
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
