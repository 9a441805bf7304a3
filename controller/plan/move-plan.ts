/**
 * How the planner carries out the tenant moves of a commit (see
 * tenant-moves.ts). A move is run by the transition of the group the tenants
 * move into, which takes their data along (replica and promotion for a new
 * group on its own database, the release's copy Job into an existing one).
 * The group they leave waits, serving them as it runs, until the move is
 * applied; its own transition then drops them (their data kept for the ring's
 * `keep`, then removed). Pure.
 */
import type { Constellation } from '../model/types.js';
import type { AppliedState, GroupSnapshot } from '../state/types.js';
import { type TenantMove, moveProblem, movesOf } from './tenant-moves.js';
import type { BlockedGroup, PlannedTransition } from './transitions.js';

/** A move carried out by the transition of the group the tenants join. */
export interface MoveIn {
  /** The tenants moving in, by id. */
  readonly tenants: readonly string[];
  /** The group they leave. */
  readonly from: string;
  /** What that group runs: its resources (the database the data comes from) and its tenants (the hosts it keeps). */
  readonly source: GroupSnapshot;
  /**
   * How the data follows: `replica`, this group's database instance is made
   * as a read replica of the source's and promoted (a new group on an
   * instance of its own); `copy`, the instance exists and the release's copy
   * Job brings each tenant's data; `same`, both groups use the same
   * instance, where the data stays (only the stack serving it changes).
   */
  readonly data: 'replica' | 'copy' | 'same';
}

/**
 * Gives each transition of a group tenants move into its `moveIn`, or blocks
 * it saying why the move cannot run as asked; blocks every group tenants
 * leave (reason `move`) until the move is applied. A group already blocked
 * keeps its reason. Changes `transitions` and `blocked` in place.
 */
export function planMoves(
  desired: Constellation,
  applied: AppliedState,
  moves: readonly TenantMove[],
  transitions: PlannedTransition[],
  blocked: BlockedGroup[],
): void {
  const byGroup = new Map(transitions.map((t, i) => [t.group, i]));
  const held = new Map(blocked.map((b) => [b.group, b]));
  const out = new Set<number>();
  for (const target of new Set(moves.map((m) => m.to))) {
    const { into } = movesOf(moves, target);
    const index = byGroup.get(target);
    const t = index === undefined ? undefined : transitions[index]!;
    const why = t ? unmovable(desired, applied, t, into, held) : undefined;
    if (t && why === undefined) {
      const source = applied.groups[into[0]!.from]!.snapshot!;
      transitions[index!] = withMove(t, into, source);
    } else if (t) {
      out.add(index!);
      blocked.push({ group: target, reason: 'move', message: why! });
    } else if (!held.has(target)) {
      const reason = into.map((m) => `tenant ${m.tenant} moves in from ${m.from}`).join('; ');
      blocked.push({ group: target, reason: 'move', message: `${reason}; waits for ${into[0]!.from}` });
    }
  }
  for (const source of new Set(moves.map((m) => m.from))) {
    const index = byGroup.get(source);
    // A group both left and joined cannot carry out the move (unmovable says why).
    if (index === undefined || out.has(index)) continue;
    out.add(index);
    blocked.push({ group: source, reason: 'move', message: sourceWaits(movesOf(moves, source).out) });
  }
  for (const i of [...out].sort((a, b) => b - a)) transitions.splice(i, 1);
}

/** Why the group tenants leave is left alone, in a few words. */
const BLOCKED_WHY: Record<BlockedGroup['reason'], string> = {
  suspended: 'suspended',
  held: 'held for a failed commit',
  emergency: 'in emergency',
  'decommission-forbidden': 'its file is removed, and the policy does not allow decommissioning',
  move: 'a move of its own',
};

/** Why a group the tenants leave waits. */
function sourceWaits(out: readonly TenantMove[]): string {
  const what = out.map((m) => `tenant ${m.tenant} moves to ${m.to}`).join('; ');
  return `${what}: this group keeps serving ${out.length === 1 ? 'it' : 'them'} until the move has taken the data along, then drops ${out.length === 1 ? 'it' : 'them'} (the data kept for the ring's keep, then removed)`;
}

/** Why `t` cannot carry out the moves `into` as the commit asks; undefined when it can. */
function unmovable(
  desired: Constellation,
  applied: AppliedState,
  t: PlannedTransition,
  into: readonly TenantMove[],
  held: ReadonlyMap<string, BlockedGroup>,
): string | undefined {
  const lead = into.map((m) => `tenant ${m.tenant} moves in from ${m.from}`).join('; ');
  const from = into[0]!.from;
  const source = applied.groups[from];
  const problem = moveProblem(into, t.from, t.to!, source?.snapshot, desired.releases.get(t.to!.release)!);
  if (problem) return `${lead}: ${problem}`;
  const blockedSource = held.get(from);
  if (blockedSource)
    return `${lead}, which the controller leaves alone now (${BLOCKED_WHY[blockedSource.reason]}): the move waits until ${from} runs normally again`;
  if (!source?.snapshot || source.emergency || desired.groups.get(from)?.suspended)
    return `${lead}, which serves nothing the move could take along`;
  const layout = t.to!.schemaVersion;
  if (layout < source.snapshot.schemaVersion)
    return `${lead}: ${t.group} would run data layout ${layout}, older than ${from}'s ${source.snapshot.schemaVersion}; move the tenant once ${t.group}'s ring runs it`;
  return undefined;
}

function withMove(
  t: PlannedTransition,
  into: readonly TenantMove[],
  source: GroupSnapshot,
): PlannedTransition {
  const from = into[0]!.from;
  const to = t.to!.resources.database;
  const at = source.resources.database;
  const same = to.instance === at.instance && (to.region ?? '') === (at.region ?? '');
  const data = same ? 'same' : t.from ? 'copy' : 'replica';
  const how =
    data === 'same'
      ? `it stays on ${at.instance}, which both groups use`
      : data === 'replica'
        ? `${to.instance} made as a replica of ${at.instance}, then promoted`
        : `copied from ${at.instance} into ${to.instance}`;
  return {
    ...t,
    changes: [...t.changes.filter((c) => c !== 'tenants'), 'move'],
    // A move changes nothing else of the group (see unmovable): a new group's line stays, tenant lines give way.
    details: [
      ...(t.from ? [] : t.details),
      `${into.map((m) => `tenant ${m.tenant}`).join(', ')} move${into.length === 1 ? 's' : ''} in from ${from}; the data follows: ${how}`,
    ],
    moveIn: { tenants: into.map((m) => m.tenant), from, source, data },
  };
}
