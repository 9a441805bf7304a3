/**
 * The one rendering of a change plan and its verdicts, as Markdown: printed by
 * `ringmaster check`, and the body of promotion pull requests.
 */
import type { BakeEvidenceReport } from '../policy/bake-evidence.js';
import type { RehearsalReport } from '../policy/rehearsal.js';
import { type Verdict, type VerdictStatus, formatInstant } from '../policy/verdicts.js';
import { ringContext } from '../status/reporter.js';
import type { ChangePlan, RingChange } from './change-plan.js';
import { describeMove } from './tenant-moves.js';

/** A plan with its verdicts and where it came from. */
export interface PlanReport {
  readonly plan: ChangePlan;
  readonly verdicts: readonly Verdict[];
  readonly allowed: boolean;
  readonly base: string;
  readonly head: string;
  /** What happens on failure, per ring changed (from the policy). */
  readonly onFailure: readonly string[];
  /** The bake evidence looked up for the bake rule; absent when none was looked up. */
  readonly bake?: BakeEvidenceReport;
  /** The sandbox statuses looked up for the rehearsal rule (the verdicts name what they found); absent when none were looked up. */
  readonly rehearsal?: RehearsalReport;
}

const MARK: Record<VerdictStatus, string> = { pass: '✅', fail: '❌', unverified: '⚠️', info: 'ℹ️' };

/** Most group names listed inline per ring before the list is cut. */
const MAX_GROUPS_LISTED = 30;

/** Renders the report as Markdown, readable in a terminal and on GitHub. */
export function renderPlan(r: PlanReport): string {
  const { plan } = r;
  const out: string[] = [
    `## Ringmaster: ${plan.constellation}`,
    '',
    `Change from \`${r.base}\` to \`${r.head}\`.`,
    '',
  ];
  if (plan.rings.length) {
    out.push(
      '### Ring changes',
      '',
      '| Ring | Change | Release | Data layout | Groups | Tenants |',
      '|---|---|---|---|---|---|',
    );
    for (const c of plan.rings) {
      out.push(
        `| ${c.ring} | ${c.kind} | ${c.from} → ${c.to} | ${c.fromSchema} → ${c.toSchema} | ${c.groups.length} | ${tenantCount(c)} |`,
      );
    }
    out.push('');
    for (const c of plan.rings) out.push(`- **${c.ring}**: ${groupList(c)}`);
    out.push('');
  }
  if (plan.ringsAdded.length || plan.ringsRemoved.length) {
    out.push('### Rings', '');
    for (const ring of plan.ringsAdded) out.push(`- ring ${ring} added`);
    for (const ring of plan.ringsRemoved) out.push(`- ring ${ring} removed`);
    out.push('');
  }
  if (plan.groups.length) {
    out.push('### Group changes', '');
    for (const g of plan.groups) out.push(`- **${g.group}** (${g.ring}): ${g.details.join('; ')}`);
    out.push('');
  }
  if (plan.moves.length) {
    out.push('### Tenant moves', '');
    for (const m of plan.moves) out.push(`- ${describeMove(m)}`);
    out.push('');
  }
  if (plan.releases.length) {
    out.push('### Release files', '');
    for (const rel of plan.releases) out.push(`- ${rel.version}: ${rel.change}`);
    out.push('');
  }
  if (plan.policyChanged) out.push('### Promotion policy', '', '- the promotion policy changes', '');
  if (plan.retries.length) {
    out.push('### Retries', '');
    for (const t of plan.retries)
      out.push(
        `- **${t.id}** (${t.ring}): the held group is tried again, once, when this change is merged; if it fails again, it stays held until a newer commit changes it or another retry is merged`,
      );
    out.push('');
  }
  if (
    !plan.retries.length &&
    !plan.moves.length &&
    !plan.rings.length &&
    !plan.groups.length &&
    !plan.releases.length &&
    !plan.policyChanged &&
    !plan.ringsAdded.length &&
    !plan.ringsRemoved.length
  ) {
    out.push('No change to the desired state: nothing rolls out.', '');
  }
  if (r.verdicts.length) {
    out.push('### Policy', '', '| | Rule | Scope | Verdict |', '|---|---|---|---|');
    for (const v of r.verdicts)
      out.push(`| ${MARK[v.status]} | ${v.rule} | ${v.ring ?? v.group ?? '-'} | ${escapeCell(v.message)} |`);
    out.push('');
  }
  if (r.bake?.lookups.length) out.push(...renderBakeEvidence(r.bake));
  if (r.onFailure.length) {
    out.push('### If a group fails', '');
    for (const line of r.onFailure) out.push(`- ${line}`);
    out.push('');
  }
  const failing = r.verdicts.filter((v) => v.status === 'fail').length;
  out.push(
    r.allowed
      ? '**Verdict: allowed.**'
      : `**Verdict: forbidden**: ${failing} rule${failing === 1 ? '' : 's'} fail${failing === 1 ? 's' : ''}.`,
  );
  return out.join('\n');
}

/** What the bake rule was judged on: when each release turned healthy, by which status on which commit. */
function renderBakeEvidence(bake: BakeEvidenceReport): string[] {
  const out = [
    '### Bake evidence',
    '',
    `From ${bake.source}: when the controller's ring status turned \`success\` on the commit that promoted the release into that ring.`,
    '',
  ];
  for (const l of bake.lookups) {
    const context = `\`${ringContext(l.ring)}\``;
    out.push(
      l.healthy
        ? `- ${l.release} in ${l.ring}: healthy since ${formatInstant(l.healthy.since)} (${context} on commit ${l.healthy.commit.slice(0, 12)})`
        : `- ${l.release} in ${l.ring}: no evidence (no ${context} success on the commit that promoted it)`,
    );
  }
  out.push('');
  return out;
}

function tenantCount(c: RingChange): string {
  return c.testTenants ? `${c.tenants} (${c.testTenants} test)` : String(c.tenants);
}

function groupList(c: RingChange): string {
  const shown = c.groups.slice(0, MAX_GROUPS_LISTED).join(', ') || 'no active groups';
  const more = c.groups.length > MAX_GROUPS_LISTED ? ` and ${c.groups.length - MAX_GROUPS_LISTED} more` : '';
  const suspended = c.suspendedGroups.length
    ? `; suspended, left alone: ${c.suspendedGroups.join(', ')}`
    : '';
  return `${shown}${more}${suspended}`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
