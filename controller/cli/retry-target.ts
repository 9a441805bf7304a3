/**
 * What `ringmaster retry` may retry: a group that exists at the branch head
 * and is held there, that is, the planner blocks it for a failed commit that
 * asked the same of it; or a group whose transition waits for a person on an
 * inconclusive health measurement (the retry measures again). Which commit it is held for comes from the
 * controller's applied state (the state folder, --state), never from a guess:
 * the Retry file names it exactly.
 */
import { join } from 'node:path';
import { type JournalEntry, waitingForPerson } from '../engine/journal.js';
import { FileJournalStore } from '../state/journal-store.js';
import { ConfigurationError } from '../errors.js';
import { type TransitionPlan, planTransitions, transitionId } from '../plan/transitions.js';
import { FileStateStore } from '../state/file-store.js';
import type { AppliedState } from '../state/types.js';
import type { CliContext } from './context.js';
import { type BranchLookup, desiredAtHead, isFolder } from './file-request.js';

/** A group held at the branch head. */
export interface Hold {
  readonly group: string;
  /** The held transition, `<group>@<held commit>`: what a Retry names. */
  readonly id: string;
  readonly commit: string;
  readonly reason: string;
  /** True when the branch already holds a Retry of it (the controller runs it at its next look). */
  readonly retryOnBranch: boolean;
  /** held: the group failed and is held; inconclusive: its transition waits on a measurement without a value. */
  readonly kind: 'held' | 'inconclusive';
}

/** The judgement: the hold to retry, or why not (exit 1). */
export type RetryTarget =
  { readonly ok: true; readonly hold: Hold } | { readonly ok: false; readonly message: string };

/**
 * Judges a retry of `group` at the branch head against the applied state in
 * `at.state`. Throws ConfigurationError when there is no applied state there
 * to learn the hold from.
 */
export async function judgeRetryTarget(
  ctx: CliContext,
  group: string,
  at: BranchLookup,
): Promise<RetryTarget> {
  const { applied, open } = await controllerState(at.state);
  const head = await desiredAtHead(ctx, at, 'retrying');
  if ('refused' in head) return { ok: false, message: head.refused };
  const plan = planTransitions(head.desired, at.head, applied);
  const holds = heldGroups(plan, applied);
  const list = holds.length
    ? `held: ${holds.map((h) => `${h.id} (${h.reason}${h.retryOnBranch ? '; retry on the branch' : ''})`).join(', ')}`
    : 'no group is held';
  if (!head.desired.groups.has(group))
    return {
      ok: false,
      message: `there is no group "${group}" on ${at.branch} (commit ${at.head.slice(0, 12)}); ${list}`,
    };
  const waiting = open.find((e) => e.group === group && waitingForPerson(e) === 'measurement');
  if (waiting)
    return {
      ok: true,
      hold: {
        group,
        id: waiting.id,
        commit: waiting.commit,
        reason: waiting.reason ?? 'inconclusive',
        retryOnBranch: head.desired.retries.has(waiting.id),
        kind: 'inconclusive',
      },
    };
  const hold = holds.find((h) => h.group === group);
  if (!hold)
    return {
      ok: false,
      message: `group ${group} is not held: ${stateOf(plan, open, group, at.branch)}; ${list}`,
    };
  return { ok: true, hold };
}

/** Every group the plan blocks as held, or retries because a Retry names its hold; by name. */
export function heldGroups(plan: TransitionPlan, applied: AppliedState): Hold[] {
  const holds: Hold[] = [];
  const add = (group: string, retryOnBranch: boolean) => {
    const held = applied.groups[group]?.held;
    if (held)
      holds.push({
        group,
        id: transitionId(group, held.commit),
        commit: held.commit,
        reason: held.reason,
        retryOnBranch,
        kind: 'held',
      });
  };
  for (const b of plan.blocked) if (b.reason === 'held') add(b.group, false);
  for (const t of plan.transitions) if (t.retryOf) add(t.group, true);
  return holds.sort((a, b) => a.group.localeCompare(b.group));
}

/** What the controller does with a group that is not held, for the refusal. */
function stateOf(plan: TransitionPlan, open: readonly JournalEntry[], group: string, branch: string): string {
  const running = open.find((e) => e.group === group);
  if (running) return `its transition ${running.id} is under way (${running.reason ?? running.status})`;
  const blocked = plan.blocked.find((b) => b.group === group);
  if (blocked) return blocked.message;
  const planned = plan.transitions.find((t) => t.group === group);
  if (planned) return `the controller changes it at its next look (${planned.details.join('; ')})`;
  return `it runs what ${branch} asks`;
}

/**
 * The applied state in the state folder `state`, and the transitions its
 * journal holds open. Throws ConfigurationError when there is no applied state.
 */
async function controllerState(state: string): Promise<{ applied: AppliedState; open: JournalEntry[] }> {
  if (await isFolder(state)) {
    const store = new FileStateStore(state);
    const journal = new FileJournalStore(join(state, 'journal'));
    try {
      const applied = await store.loadApplied();
      if (applied) return { applied, open: await journal.listOpen() };
    } finally {
      await journal.close();
      await store.close();
    }
  }
  throw new ConfigurationError(
    'NoState',
    `no controller state in ${state}: retry learns from the controller's applied state which commit a group is held for; pass --state DIR (the controller's state folder), or run it where the controller's state is`,
  );
}
