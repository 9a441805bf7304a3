/**
 * Builds what people see from the desired state, the applied state and a
 * reconcile's results: the status view and the commit statuses per ring.
 */
import { compareNames } from '../model/naming.js';
import type { Constellation, Group, Ring } from '../model/types.js';
import { snapshotHash, snapshotOf } from '../plan/snapshot.js';
import { SUSPENDED } from '../plan/transitions.js';
import type { CommitStatus } from '../status/reporter.js';
import { fitDescription, groupContext, ringContext } from '../status/reporter.js';
import type { ControllerStatus, GroupState, GroupStatusView, RingStatusView } from '../state/status-view.js';
import type { AppliedGroup, AppliedState } from '../state/types.js';
import type { Halted, Waiting } from '../plan/admission.js';
import type { JournalEntry, TransitionSummary } from './journal.js';

export type { Halted, Waiting } from '../plan/admission.js';

/** What a reconcile learnt, as the status builders need it. */
export interface ReconcileFacts {
  readonly desired: Constellation;
  readonly commit: string;
  readonly applied: AppliedState;
  readonly waiting: readonly Waiting[];
  readonly halted: readonly Halted[];
  readonly ran: readonly TransitionSummary[];
  /** Transitions open in the journal: each group's step under way, since when, until when. */
  readonly open?: readonly JournalEntry[];
  readonly now: Date;
}

/** The groups of each constellation in status order, sorted once (a running controller builds its status every second). */
const statusOrders = new WeakMap<Constellation, readonly Group[]>();

/** The groups of `desired` by ring, then by name. */
function inStatusOrder(desired: Constellation): readonly Group[] {
  let groups = statusOrders.get(desired);
  if (!groups) {
    const ringIndex = new Map(desired.rings.map((r) => [r.name, r.index]));
    groups = [...desired.groups.values()].sort(
      (a, b) => ringIndex.get(a.ring)! - ringIndex.get(b.ring)! || compareNames(a.name, b.name),
    );
    statusOrders.set(desired, groups);
  }
  return groups;
}

/**
 * The status of every group and ring; with `onlyRing`, of that ring and its
 * groups alone (what a rollout reports after each wave, without the cost of
 * the whole constellation).
 */
export function buildStatus(f: ReconcileFacts, onlyRing?: string): ControllerStatus {
  // One ring's status (before each wave) needs its counts, not its groups in order.
  const ordered =
    onlyRing === undefined
      ? inStatusOrder(f.desired)
      : [...f.desired.groups.values()].filter((g) => g.ring === onlyRing);
  // Indexed once: at 10,000 groups a search per group would cost seconds.
  const waitingBy = new Map<string, Waiting>();
  for (const w of f.waiting) if (!waitingBy.has(w.group)) waitingBy.set(w.group, w);
  const lastRun = new Map(f.ran.map((e) => [e.group, e.id]));
  const openBy = new Map((f.open ?? []).map((e) => [e.group, e]));
  const groups = ordered.map((g) =>
    viewOf(g, f, waitingBy.get(g.name), openBy.get(g.name), lastRun.get(g.name)),
  );
  const rings = f.desired.rings
    .filter((r) => onlyRing === undefined || r.name === onlyRing)
    .map((r) => ringView(r, groups, f));
  const transitions = (onlyRing === undefined ? f.ran : f.ran.filter((e) => e.ring === onlyRing)).map(
    (e) => ({
      id: e.id,
      group: e.group,
      status: e.status,
      reason: e.reason,
      startedAt: e.startedAt,
      endedAt: e.endedAt,
    }),
  );
  return {
    constellation: f.desired.name,
    commit: f.commit,
    reconciledAt: f.now.toISOString(),
    rings,
    groups,
    transitions,
  };
}

/** What a group's view is built from, besides the constellation and the group. */
interface ViewFacts {
  readonly desired: Constellation;
  readonly applied: AppliedGroup | undefined;
  readonly waiting: Waiting | undefined;
  readonly open: JournalEntry | undefined;
  readonly transition: string | undefined;
}

/**
 * Views already built, per group object. A view holds while what it is built
 * from is the same (the applied group and the journal entry are replaced,
 * never changed; a wait is compared by what it says): the controller builds
 * its status every second while work goes on, and only the groups whose state
 * changed since are built again.
 */
const views = new WeakMap<Group, { readonly facts: ViewFacts; readonly view: GroupStatusView }>();

function viewOf(
  g: Group,
  f: ReconcileFacts,
  waiting: Waiting | undefined,
  open: JournalEntry | undefined,
  transition: string | undefined,
): GroupStatusView {
  const applied = f.applied.groups[g.name];
  const kept = views.get(g);
  // Compared field by field: a hit, the usual case, allocates nothing.
  if (
    kept &&
    kept.facts.desired === f.desired &&
    kept.facts.applied === applied &&
    kept.facts.open === open &&
    kept.facts.transition === transition &&
    kept.facts.waiting?.reason === waiting?.reason &&
    kept.facts.waiting?.until === waiting?.until
  )
    return kept.view;
  const facts: ViewFacts = { desired: f.desired, applied, waiting, open, transition };
  const view = groupView(g, facts);
  views.set(g, { facts, view });
  return view;
}

/** One group's view (see viewOf). */
function groupView(g: Group, { desired, applied, waiting, open, transition }: ViewFacts): GroupStatusView {
  const wanted = snapshotOf(desired, g);
  let state: GroupState;
  let reason: string | undefined;
  if (g.suspended) [state, reason] = ['suspended', SUSPENDED];
  else if (applied?.emergency) [state, reason] = ['emergency', applied.emergency.reason];
  else if (applied?.snapshot && snapshotHash(applied.snapshot) === snapshotHash(wanted)) state = 'ready';
  else if (applied?.held?.snapshotHash === snapshotHash(wanted))
    [state, reason] = [
      'held',
      applied.snapshot ? applied.held.reason : `not deployed: ${applied.held.reason}`,
    ];
  else if (waiting) [state, reason] = ['waiting', waiting.reason];
  else [state, reason] = ['progressing', open?.reason];
  const since =
    state === 'ready'
      ? applied?.appliedAt || undefined
      : state === 'held'
        ? applied?.held?.since
        : state === 'emergency'
          ? applied?.emergency?.since
          : open && (open.since ?? open.startedAt);
  const until = open?.until ?? (state === 'waiting' ? waiting?.until : undefined);
  const taking = open?.steps.find((s) => s.name === 'prepare')?.data?.snapshot;
  const backup = typeof taking === 'string' ? taking : applied?.backup?.snapshot;
  return {
    name: g.name,
    ring: g.ring,
    appliedRelease: applied?.snapshot?.release,
    desiredRelease: wanted.release,
    state,
    reason,
    transition,
    ...(open && state !== 'ready' ? { step: stepUnderWay(open) } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(backup ? { backup } : {}),
  };
}

/** The step a transition is in: the last one started, or being undone. */
function stepUnderWay(e: JournalEntry): string | undefined {
  return [...e.steps].reverse().find((s) => s.status === 'started' || s.status === 'compensating')?.name;
}

function ringView(r: Ring, groups: readonly GroupStatusView[], f: ReconcileFacts): RingStatusView {
  const mine = groups.filter((g) => g.ring === r.name && g.state !== 'suspended');
  const onRelease = mine.filter((g) => g.state === 'ready').length;
  const failed = mine.filter((g) => g.state === 'held' || g.state === 'emergency').length;
  const halted = f.halted.find((h) => h.ring === r.name);
  const waiting = mine.find((g) => g.state === 'waiting');
  const state = halted
    ? 'halted'
    : onRelease === mine.length
      ? 'done'
      : waiting && !mine.some((g) => g.state === 'progressing')
        ? 'waiting'
        : 'rolling';
  return {
    name: r.name,
    release: r.release,
    state,
    groups: mine.length,
    onRelease,
    failed,
    failureBudget: f.desired.policy.rings[r.name]?.failureBudget ?? 0,
    reason: halted?.reason ?? waiting?.reason,
    ...(state === 'waiting' && waiting?.until ? { until: waiting.until } : {}),
  };
}

/**
 * One aggregate status per ring that has anything to say about this commit,
 * plus one per group that failed or is in emergency: the number of statuses
 * grows with rings and failures, never with groups.
 */
export function commitStatuses(
  status: ControllerStatus,
  rings: ReadonlySet<string>,
  targetUrl?: (ring: string) => string,
): CommitStatus[] {
  const out: CommitStatus[] = [];
  for (const ring of status.rings.filter((r) => rings.has(r.name))) {
    const mine = status.groups.filter((g) => g.ring === ring.name && g.state !== 'suspended');
    const count = (s: GroupState) => mine.filter((g) => g.state === s).length;
    const parts = [`${ring.name}: ${ring.onRelease}/${ring.groups} groups on ${ring.release}`];
    const halted = ring.state === 'halted';
    if (count('held'))
      parts.push(`${count('held')} rolled back${halted ? '' : `, within budget ${ring.failureBudget}`}`);
    if (count('emergency')) parts.push(`${count('emergency')} in emergency`);
    if (count('waiting')) parts.push(`${count('waiting')} waiting: ${ring.reason ?? 'policy'}`);
    if (halted) parts.push(`halted: ${ring.reason}`);
    // Settled: nothing of the ring is under way or waiting, so its status is final.
    const settled = !count('progressing') && !count('waiting');
    const state = count('emergency')
      ? 'error'
      : halted || (settled && count('held'))
        ? 'failure'
        : settled
          ? 'success'
          : 'pending';
    out.push({
      state,
      context: ringContext(ring.name),
      description: fitDescription(parts.join(' · ')),
      targetUrl: targetUrl?.(ring.name),
    });
    for (const g of mine.filter((x) => x.state === 'held' || x.state === 'emergency')) {
      out.push({
        state: g.state === 'emergency' ? 'error' : 'failure',
        context: groupContext(ring.name, g.name),
        description: fitDescription(
          `${g.name}: ${g.state === 'emergency' ? 'emergency, run ringmaster recover' : 'rolled back'}: ${g.reason ?? ''}`,
        ),
        targetUrl: targetUrl?.(ring.name),
      });
    }
  }
  return out;
}
