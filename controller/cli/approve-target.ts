/**
 * What `ringmaster approve` may approve: a transition of a group that exists
 * at the branch head, in a ring with a manual gate or under a health analysis
 * that waits for a person on an inconclusive measurement, and (where the
 * state folder is at hand) one that waits for a person now: at its gate, or
 * in its grace or observe period. The id may name its
 * commit by any unique prefix of 7 or more hex digits; the approval is always
 * written under the full id, `<group>@<12 hex digits>`, as the controller
 * looks it up.
 */
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { waitingForPerson } from '../engine/journal.js';
import { ConfigurationError, NotFoundError } from '../errors.js';
import { transitionId } from '../plan/transitions.js';
import { resolveCommit } from '../source/git-source.js';
import { FileJournalStore } from '../state/journal-store.js';
import type { CliContext } from './context.js';
import { type BranchLookup, desiredAtHead, isFolder } from './file-request.js';

const GIVEN = /^([a-z](?:[-a-z0-9]*[a-z0-9])?)@([0-9a-f]{7,64})$/;

/** The judgement: the transition's full id, or why it cannot be approved (exit 1). */
export type ApprovalTarget =
  | { readonly ok: true; readonly id: string; readonly note?: string }
  | { readonly ok: false; readonly message: string };

/**
 * Judges `given` (`<group>@<commit prefix>`). Throws ConfigurationError for an
 * id that is not one, or a prefix that names no commit or several.
 */
export async function judgeApprovalTarget(
  ctx: CliContext,
  given: string,
  at: BranchLookup,
): Promise<ApprovalTarget> {
  const match = GIVEN.exec(given);
  if (!match) {
    throw new ConfigurationError(
      'BadTransitionId',
      `"${given}" is not a transition id; copy it from the waiting reason, for example globex@e280fb6a80ce`,
    );
  }
  const [, group, prefix] = match as unknown as [string, string, string];
  const id = transitionId(group, await commitOf(at.git, prefix));
  const waiting = await waitingTransitions(at.state);
  const list = () =>
    waiting === undefined
      ? 'ringmaster status lists what waits'
      : waiting.length
        ? `waiting for approval: ${waiting.join(', ')}`
        : 'no transition waits for approval';
  const head = await desiredAtHead(ctx, at, 'approving');
  if ('refused' in head) return { ok: false, message: head.refused };
  const { desired } = head;
  const short = at.head.slice(0, 12);
  const found = desired.groups.get(group);
  if (!found) {
    return {
      ok: false,
      message: `there is no group "${group}" on ${at.branch} (commit ${short}); ${list()}`,
    };
  }
  const gated = desired.policy.rings[found.ring]?.gate === 'manual';
  const analysed = desired.policy.health.analysis.some((q) => q.inconclusive === 'wait');
  if (!gated && !analysed) {
    return {
      ok: false,
      message: `group ${group} is in ring ${found.ring}, which has no manual gate and no health analysis that waits for a person: its transitions need no approval; ${list()}`,
    };
  }
  if (waiting === undefined) {
    return {
      ok: true,
      id,
      note: `no state folder at ${at.state}: whether ${id} waits for a person was not checked`,
    };
  }
  if (!waiting.includes(id)) return { ok: false, message: `${id} is not waiting for approval; ${list()}` };
  return { ok: true, id };
}

/** The full sha of the commit `prefix` names. Throws ConfigurationError when none or several do. */
async function commitOf(git: SimpleGit, prefix: string): Promise<string> {
  try {
    return await resolveCommit(git, prefix);
  } catch (err) {
    const ambiguous = /ambiguous/i.test(String((err as { cause?: unknown }).cause ?? ''));
    if (!(err instanceof NotFoundError)) throw err;
    throw new ConfigurationError(
      ambiguous ? 'AmbiguousCommit' : 'UnknownCommit',
      ambiguous
        ? `commit prefix ${prefix} names several commits; give more of it (the waiting reason shows 12 characters)`
        : `no commit ${prefix} in this repository; fetch the branch, or copy the id from the waiting reason`,
      { cause: err },
    );
  }
}

/** The transitions waiting for a person, from the journal; undefined when there is no state folder here. */
async function waitingTransitions(state: string): Promise<string[] | undefined> {
  if (!(await isFolder(state))) return undefined;
  const journal = new FileJournalStore(join(state, 'journal'));
  try {
    return (await journal.listOpen())
      .filter((e) => waitingForPerson(e) !== undefined)
      .map((e) => e.id)
      .sort();
  } finally {
    await journal.close();
  }
}
