import type { Constellation } from '../model/types.js';
import { type Evidence, evaluateChange, isAllowed } from '../policy/verdicts.js';
import { type ChangePlan, planChange } from './change-plan.js';
import type { PlanReport } from './render.js';

/**
 * Plans the change from `base` to `head` (or takes `plan`, already made from
 * them), judges it against head's policy at `now` and on the `evidence`
 * looked up for it, and says what happens on failure. Pure.
 */
export function buildPlanReport(
  base: Constellation,
  head: Constellation,
  labels: { base: string; head: string },
  now: Date,
  evidence: Evidence = {},
  plan: ChangePlan = planChange(base, head),
): PlanReport {
  const verdicts = evaluateChange(plan, base, head, now, evidence);
  const onFailure = plan.rings.map((c) => {
    const rules = head.policy.rings[c.ring]!;
    const budget = `the rollout halts after ${rules.failureBudget + 1} failed group${rules.failureBudget === 0 ? '' : 's'}`;
    const revert = rules.revertOnRollback ? `; a pull request then returns ${c.ring} to ${c.from}` : '';
    return `${c.ring}: a group that fails goes back to ${c.from} and this commit is held for it; ${budget}${revert}.`;
  });
  return {
    plan,
    verdicts,
    allowed: isAllowed(verdicts),
    base: labels.base,
    head: labels.head,
    onFailure,
    ...(evidence.bake ? { bake: evidence.bake } : {}),
    ...(evidence.rehearsal ? { rehearsal: evidence.rehearsal } : {}),
  };
}
