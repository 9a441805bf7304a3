/**
 * The verdicts on the tenant moves of a change (rule `tenant-move`, and
 * `lineage` for the data layout): what merging does, step by step, or why
 * the move cannot run as asked. The controller judges the same conditions
 * when it plans (plan/move-plan.ts); here they are told before the merge.
 */
import type { Constellation } from '../model/types.js';
import { snapshotOf } from '../plan/snapshot.js';
import { type TenantMove, describeMove, moveProblem, movesOf } from '../plan/tenant-moves.js';
import { moveContext } from '../status/reporter.js';
import { REHEARSAL_SEARCH_DEPTH, type RehearsalQuestion, type RehearsalReport } from './rehearsal.js';
import { type Verdict, formatInstant } from './verdicts.js';

/**
 * One verdict per group tenants move into, a lineage verdict per move that
 * would lower a data layout, and where the policy asks for rehearsals, a
 * rehearsal verdict per move judged on `rehearsal` (unverified without it).
 */
export function moveVerdicts(
  moves: readonly TenantMove[],
  base: Constellation,
  head: Constellation,
  rehearsal?: RehearsalReport,
): Verdict[] {
  const out: Verdict[] = [];
  for (const target of new Set(moves.map((m) => m.to))) {
    const { into } = movesOf(moves, target);
    const why = cannotMove(into, base, head);
    out.push(
      why
        ? { rule: 'tenant-move', status: 'fail', group: target, message: why }
        : { rule: 'tenant-move', status: 'pass', group: target, message: steps(into, base, head) },
    );
  }
  for (const m of moves) {
    const fromSchema = schemaOf(base, m.from);
    const toSchema = schemaOf(head, m.to);
    if (toSchema < fromSchema)
      out.push({
        rule: 'lineage',
        status: 'fail',
        group: m.to,
        message: `moving tenant ${m.tenant} from ${m.from} to ${m.to} would take its data layout ${fromSchema} back to ${toSchema}; move it to a group whose ring runs layout ${fromSchema} or later`,
      });
  }
  const required = head.policy.moves.rehearsal;
  if (required) for (const m of moves) out.push(rehearsalVerdict(m, required.branch, rehearsal));
  return out;
}

/** The moves the rehearsal rule asks the sandbox about: every move of the change, where the policy requires rehearsals. */
export function rehearsalQuestions(moves: readonly TenantMove[], head: Constellation): RehearsalQuestion[] {
  return head.policy.moves.rehearsal ? moves.map(({ tenant, from, to }) => ({ tenant, from, to })) : [];
}

/** Has `m` succeeded in the sandbox that follows `branch`? */
function rehearsalVerdict(m: TenantMove, branch: string, report: RehearsalReport | undefined): Verdict {
  const what = `moving tenant ${m.tenant} from ${m.from} to ${m.to}`;
  const context = `${moveContext(m.tenant, m.from, m.to)}`;
  const verdict = (status: Verdict['status'], message: string): Verdict => ({
    rule: 'rehearsal',
    status,
    group: m.to,
    message,
  });
  if (!report)
    return verdict(
      'unverified',
      `${what} must first succeed in the sandbox (branch ${branch}); not verified: run check with --github to read the sandbox's statuses`,
    );
  if (report.problem) return verdict('fail', `${what} must first succeed in the sandbox: ${report.problem}`);
  const found = report.lookups.find((l) => l.tenant === m.tenant && l.from === m.from && l.to === m.to);
  if (found?.rehearsed)
    return verdict(
      'pass',
      `rehearsed in the sandbox: ${context} turned success on ${branch} commit ${found.rehearsed.commit.slice(0, 12)} at ${formatInstant(found.rehearsed.at)} (${report.source})`,
    );
  return verdict(
    'fail',
    `${what} has not succeeded in the sandbox yet: no ${context} success on the last ${REHEARSAL_SEARCH_DEPTH} commits of ${branch} that changed ${m.to} (${report.source}); make the same move there first`,
  );
}

/** Why the moves `into` one group cannot run as the change asks (see moveProblem); undefined when they can. */
function cannotMove(
  into: readonly TenantMove[],
  base: Constellation,
  head: Constellation,
): string | undefined {
  const lead = into.map(describeMove).join('; ');
  const target = head.groups.get(into[0]!.to)!;
  const before = base.groups.get(target.name);
  const from = into[0]!.from;
  const release = head.releases.get(head.rings.find((r) => r.name === target.ring)!.release)!;
  const problem = moveProblem(
    into,
    before && snapshotOf(base, before),
    snapshotOf(head, target),
    snapshotOf(base, base.groups.get(from)!),
    release,
  );
  if (problem) return `${lead}: ${problem}`;
  if (head.groups.get(from)?.suspended)
    return `${lead}: ${from} is suspended, so the move would wait; resume it first`;
  return undefined;
}

/** What merging does, step by step. */
function steps(into: readonly TenantMove[], base: Constellation, head: Constellation): string {
  const target = head.groups.get(into[0]!.to)!;
  const source = base.groups.get(into[0]!.from)!;
  const from = source.resources.database;
  const to = target.resources.database;
  const who = into.map((m) => m.tenant).join(', ');
  const keepMs = head.policy.rings[source.ring]?.keepMs ?? 0;
  const keep = `kept on ${from.instance} for ${Math.round(keepMs / 3_600_000)}h (the keep of ${source.ring}), then removed by the release's tenant removal Job`;
  if (from.instance === to.instance)
    return `${into.map(describeMove).join('; ')}: ${target.name} serves ${who} from ${to.instance}, where the data stays; the host is routed to ${target.name} before ${source.name} lets go of it`;
  const window = target.maintenanceWindow
    ? `inside ${target.name}'s maintenance window (${target.maintenanceWindow.cron}, ${target.maintenanceWindow.duration}, ${target.maintenanceWindow.timezone})`
    : `at once (${target.name} has no maintenance window)`;
  const release = head.releases.get(head.rings.find((r) => r.name === target.ring)!.release)!;
  const lag = head.policy.health.analysis.filter((q) => q.during.includes('replicate')).map((q) => q.name);
  const judged = lag.length ? `, in sync once RDS says so and ${lag.join(', ')} pass` : '';
  const verified = release.tenantJobs?.verify ? `, then checked by the release's verify Job` : '';
  const standby =
    !base.groups.has(target.name) && head.policy.moves.standby
      ? `, then given a standby in another zone (moves.standby)`
      : '';
  const data = base.groups.has(target.name)
    ? `the release's copy Job copies the data from ${from.instance} into ${to.instance}${verified}`
    : `${to.instance} is made as a read replica of ${from.instance}${judged}${verified}`;
  return `${into.map(describeMove).join('; ')}: 1. ${target.name} serves ${who} from ${from.instance}; 2. the host is routed to ${target.name}, then taken off ${source.name}; 3. ${data}; 4. promoted ${window}${standby}: from then on a failure is an emergency, not a cut-back; 5. the data is ${keep}. Before promotion any failure cuts back to ${source.name}`;
}

/** The data layout version the ring of `group` runs in `c`. */
function schemaOf(c: Constellation, group: string): number {
  const ring = c.rings.find((r) => r.name === c.groups.get(group)!.ring)!;
  return c.releases.get(ring.release)!.schemaVersion;
}
