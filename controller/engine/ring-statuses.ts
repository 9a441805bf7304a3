/**
 * Which commit gets which ring status, so that every ring status the
 * controller turns `pending` ends, whatever happens meanwhile: the process
 * crashes between two rings, it stops, or a newer commit supersedes the one
 * rolling out.
 *
 * Rules:
 * - A ring status is turned `pending` only after the ring and commit are in
 *   the ledger of open statuses (on disk), and leaves the ledger only after a
 *   final status (success, failure, error) was written: a crash anywhere in
 *   between leaves the ledger saying what still needs an end.
 * - The commit being reconciled reports every ring it plans or runs
 *   transitions in, and every ring the ledger holds open for it; the status
 *   is the ring's state as it stands (see `commitStatuses`).
 * - An older commit whose ring is open in the ledger, and of which nothing is
 *   under way in that ring any more, gets its final status from what it did
 *   there (`supersededStatus`): the rest of the ring follows the newer commit,
 *   which reports on its own.
 */
import type { Logger } from 'pino';
import type { Constellation } from '../model/types.js';
import type { TransitionPlan } from '../plan/transitions.js';
import type { StateStore } from '../state/file-store.js';
import type { ControllerStatus } from '../state/status-view.js';
import type { AppliedState, OpenStatuses } from '../state/types.js';
import type { CommitStatus, StatusReporter } from '../status/reporter.js';
import { fitDescription, groupContext, moveContext, ringContext } from '../status/reporter.js';
import { type JournalEntry, type TransitionSummary, isFinal, summarize } from './journal.js';
import { commitStatuses } from './status-build.js';

/**
 * The ledger of open ring statuses, loaded once per reconcile and written
 * whenever it changes (it holds a few commits, never groups).
 */
export class RingStatusLedger {
  private commits: Map<string, Set<string>>;

  private constructor(
    private readonly store: Pick<StateStore, 'saveOpenStatuses'>,
    open: OpenStatuses,
  ) {
    this.commits = new Map(Object.entries(open.commits).map(([c, rings]) => [c, new Set(rings)]));
  }

  /** Reads the ledger from `store`. Throws when the stored ledger is unreadable. */
  static async load(
    store: Pick<StateStore, 'loadOpenStatuses' | 'saveOpenStatuses'>,
  ): Promise<RingStatusLedger> {
    return new RingStatusLedger(store, await store.loadOpenStatuses());
  }

  /** The rings open for `commit`. */
  rings(commit: string): ReadonlySet<string> {
    return this.commits.get(commit) ?? new Set();
  }

  /** Commits with open rings, other than `except`. */
  others(except: string): string[] {
    return [...this.commits.keys()].filter((c) => c !== except);
  }

  /** Records that `ring` is about to turn pending on `commit`; on disk before it returns. */
  async open(commit: string, ring: string): Promise<void> {
    const rings = this.commits.get(commit) ?? new Set<string>();
    if (rings.has(ring)) return;
    this.commits.set(commit, rings.add(ring));
    await this.save();
  }

  /** Records that `ring` got its final status on `commit`. */
  async close(commit: string, ring: string): Promise<void> {
    const rings = this.commits.get(commit);
    if (!rings?.delete(ring)) return;
    if (!rings.size) this.commits.delete(commit);
    await this.save();
  }

  private save(): Promise<void> {
    const commits = Object.fromEntries([...this.commits].map(([c, rings]) => [c, [...rings].sort()]));
    return this.store.saveOpenStatuses({ version: 1, commits });
  }
}

/**
 * The final status of `ring` on `commit`, an older commit than `head`, once
 * nothing of it is under way there: what it moved, rolled back or left in
 * emergency, read from the applied state. `error` with a group in emergency,
 * `failure` with a group held for it, `success` otherwise.
 */
export function supersededStatus(
  ring: string,
  commit: string,
  head: string,
  desired: Constellation,
  applied: AppliedState,
  targetUrl?: string,
): CommitStatus {
  const short = commit.slice(0, 12);
  let moved = 0;
  let held = 0;
  let emergency = 0;
  for (const g of Object.values(applied.groups)) {
    if ((g.snapshot?.ring ?? desired.groups.get(g.name)?.ring) !== ring) continue;
    if (g.emergency?.transition.endsWith(`@${short}`)) emergency++;
    else if (g.held?.commit === commit) held++;
    else if (g.commit === commit) moved++;
  }
  const parts = [
    `${ring}: superseded by ${head.slice(0, 12)}`,
    `${moved} group${moved === 1 ? '' : 's'} moved on this commit`,
  ];
  if (held) parts.push(`${held} rolled back`);
  if (emergency) parts.push(`${emergency} in emergency`);
  parts.push(`the rest follow ${head.slice(0, 12)}`);
  return {
    state: emergency ? 'error' : held ? 'failure' : 'success',
    context: ringContext(ring),
    description: fitDescription(parts.join(' · ')),
    targetUrl,
  };
}

/**
 * How the move a transition carried out ended, per tenant: `success` once
 * applied (the evidence a rehearsal rule reads, see policy/rehearsal.ts),
 * `failure` when cut back, `error` in emergency.
 */
export function moveStatuses(e: TransitionSummary, targetUrl?: string): CommitStatus[] {
  if (!e.moved || !isFinal(e.status)) return [];
  const { from, tenants } = e.moved;
  const ended = e.endedAt ? ` at ${e.endedAt}` : '';
  return tenants.map((tenant) => {
    const what = `tenant ${tenant} from ${from} to ${e.group}`;
    const [state, description]: [CommitStatus['state'], string] =
      e.status === 'succeeded'
        ? ['success', `moved ${what}${ended}`]
        : e.status === 'emergency'
          ? ['error', `moving ${what}: emergency, run ringmaster recover: ${e.reason ?? ''}`]
          : ['failure', `moving ${what}: cut back to ${from}: ${e.reason ?? ''}`];
    return {
      state,
      context: moveContext(tenant, from, e.group),
      description: fitDescription(description),
      targetUrl,
    };
  });
}

/**
 * What a human's end of `entry`'s emergency (ringmaster recover) says on its
 * commit, where the group's status said `error`: `success` kept at the target,
 * `failure` back at the previous state (the commit held), or as the cut-back
 * ended (`outcome`: rolled back, or in emergency again); and for a tenant
 * move, the move's status alike.
 */
export function recoveredStatuses(
  entry: JournalEntry,
  to: 'previous' | 'target' | 'cut-back',
  targetUrl?: string,
): CommitStatus[] {
  const how = `ringmaster recover --to ${to}`;
  const again = entry.status === 'emergency' && to === 'cut-back';
  const state: CommitStatus['state'] = again ? 'error' : to === 'target' ? 'success' : 'failure';
  const runs = entry.to ? `runs ${entry.to.release}` : 'removed';
  const said =
    to === 'target'
      ? `emergency resolved (${how}): ${runs}`
      : to === 'previous'
        ? `rolled back by hand (${how}); the commit stays held`
        : again
          ? `emergency: cutting back failed, run ringmaster recover: ${entry.reason ?? ''}`
          : `rolled back (${how}); the commit stays held`;
  const group: CommitStatus = {
    state,
    context: groupContext(entry.ring, entry.group),
    description: fitDescription(`${entry.group}: ${said}`),
    targetUrl,
  };
  const move = entry.target?.planned.moveIn;
  if (!move) return [group];
  if (to === 'cut-back') return [group, ...moveStatuses(summarize(entry), targetUrl)];
  return [
    group,
    ...move.tenants.map((tenant): CommitStatus => ({
      state,
      context: moveContext(tenant, move.from, entry.group),
      description: fitDescription(
        to === 'target'
          ? `moved tenant ${tenant} from ${move.from} to ${entry.group} (kept by ${how})`
          : `moving tenant ${tenant} from ${move.from} to ${entry.group}: cut back to ${move.from} by hand (${how})`,
      ),
      targetUrl,
    })),
  ];
}

/** What writing ring statuses needs. */
export interface RingStatusDeps {
  readonly reporter: StatusReporter;
  readonly log: Logger;
  /** Link from a ring's commit status to the controller's status page. */
  readonly targetUrl?: (commit: string, ring: string) => string;
}

/** Writes ring statuses through the ledger: opened before a pending, closed after a final one. */
export class RingStatusWriter {
  constructor(
    private readonly deps: RingStatusDeps,
    readonly ledger: RingStatusLedger,
  ) {}

  /** The status page's link for `ring` on `commit`, when the page's address is known. */
  urlFor(commit: string, ring: string): string | undefined {
    return this.deps.targetUrl?.(commit, ring);
  }

  /** Writes `ring`'s status on `commit` as `status` shows it, with the statuses of its failed groups. */
  async write(commit: string, status: ControllerStatus, ring: string): Promise<void> {
    const url = this.deps.targetUrl && ((r: string) => this.deps.targetUrl!(commit, r));
    const [own, ...groups] = commitStatuses(status, new Set([ring]), url);
    // A ring the constellation no longer has: nothing to say of it, and nothing to keep open.
    if (!own) return this.ledger.close(commit, ring);
    if (!(await this.writeRing(commit, ring, own))) return;
    for (const s of groups) await this.send(commit, s);
  }

  /** Writes a final status of `ring` on `commit` and closes it in the ledger. */
  async writeFinal(commit: string, ring: string, status: CommitStatus): Promise<void> {
    await this.writeRing(commit, ring, status);
  }

  /**
   * Writes how a tenant move ended on the commit that asked for it, one
   * status per tenant (see `moveStatuses`). Never pending, so never in the
   * ledger: a status lost to a crash only lacks evidence a rehearsal rule
   * would read (the safe side).
   */
  async writeMove(e: TransitionSummary): Promise<void> {
    for (const s of moveStatuses(e, this.urlFor(e.commit, e.ring))) await this.send(e.commit, s);
  }

  /** True when written (or already there). A status that cannot be written leaves the ledger as it was. */
  private async writeRing(commit: string, ring: string, s: CommitStatus): Promise<boolean> {
    if (s.state === 'pending') await this.ledger.open(commit, ring);
    if (!(await this.send(commit, s))) return false;
    if (s.state !== 'pending') await this.ledger.close(commit, ring);
    return true;
  }

  private async send(commit: string, s: CommitStatus): Promise<boolean> {
    try {
      await this.deps.reporter.report(commit, s);
      return true;
    } catch (err) {
      // A status that cannot be written must not stop the rollout; the next reconcile tries again.
      this.deps.log.warn({ err, commit, context: s.context }, 'Commit status not written');
      return false;
    }
  }
}

/** What a reconcile ended with, for the statuses it owes. */
export interface ReconcileEnd {
  readonly desired: Constellation;
  readonly commit: string;
  readonly applied: AppliedState;
  readonly status: ControllerStatus;
  readonly plan: TransitionPlan;
  /** Groups that had an open transition when the reconcile began (not planned anew). */
  readonly busy: ReadonlySet<string>;
  /** Every transition the reconcile ran or resumed, in order. */
  readonly ran: readonly TransitionSummary[];
  /** Open transitions that could not be resumed: their commit and ring stay under way. */
  readonly stuck: readonly Pick<TransitionSummary, 'commit' | 'ring'>[];
}

/**
 * Writes every ring status a reconcile owes (see the module comment): each
 * ring the head commit plans, ran or holds open, as it stands; each ring an
 * older commit ran in or holds open, final once nothing of it is under way there.
 */
export async function writeRingStatuses(writer: RingStatusWriter, end: ReconcileEnd): Promise<void> {
  const head = end.commit;
  const headRings = new Set([
    ...end.plan.transitions.filter((t) => !end.busy.has(t.group)).map((t) => t.ring),
    ...end.ran.filter((e) => e.commit === head).map((e) => e.ring),
    ...writer.ledger.rings(head),
  ]);
  for (const ring of headRings) await writer.write(head, end.status, ring);

  for (const e of end.ran) if (e.moved && isFinal(e.status)) await writer.writeMove(e);

  const key = (commit: string, ring: string) => `${commit}\0${ring}`;
  const underWay = new Set(end.stuck.map((e) => key(e.commit, e.ring)));
  const older = new Map<string, Set<string>>();
  for (const e of end.ran) {
    if (!isFinal(e.status)) underWay.add(key(e.commit, e.ring));
    if (e.commit !== head) older.set(e.commit, (older.get(e.commit) ?? new Set()).add(e.ring));
  }
  for (const commit of writer.ledger.others(head))
    for (const ring of writer.ledger.rings(commit))
      older.set(commit, (older.get(commit) ?? new Set()).add(ring));
  for (const [commit, rings] of older) {
    for (const ring of rings) {
      if (underWay.has(key(commit, ring))) continue;
      const url = writer.urlFor(commit, ring);
      await writer.writeFinal(
        commit,
        ring,
        supersededStatus(ring, commit, head, end.desired, end.applied, url),
      );
    }
  }
}
