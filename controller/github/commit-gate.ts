/**
 * Which new commits may be applied: before the controller follows a new head,
 * every commit since the head it followed that changes a guarded ring must
 * have reached the branch through a merged, approved pull request, and a merge
 * or squash commit must be what merging that pull request produces
 * (`checkApproval`). Judged by effect: only rings whose desired state differs
 * between the followed head and the new one count, so a direct push undone by
 * a reviewed revert does not block the branch for ever. The rules are those
 * of the policy in force at the followed head: a pull request cannot lower the
 * bar it is judged by.
 */
import type { Logger } from 'pino';
import type { Constellation } from '../model/types.js';
import { ringsTouched } from '../plan/change-plan.js';
import { type ApprovalCache, checkApproval } from './approvals.js';
import type { GitHubClient, RepoRef } from './client.js';
import type { MergeEffects } from './merge-effect.js';

/** What the gate needs from the controller: loading a commit, walking its history, comparing merges. */
export interface CommitGateDeps {
  readonly client: GitHubClient;
  readonly repo: RepoRef;
  readonly branch: string;
  readonly cache: ApprovalCache;
  readonly log: Logger;
  /** The desired state at `commit`, or undefined when it does not validate. */
  load(commit: string): Promise<Constellation | undefined>;
  firstParent(commit: string): Promise<string | undefined>;
  /** Compares a merge or squash commit with what merging its pull request produces (the mirror's git). */
  readonly merges: MergeEffects;
}

/** The gate's answer for a new head. */
export type GateVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly commit: string; readonly reason: string; readonly detail: string };

/**
 * Judges the commits merged after `followed`, oldest first, ending with the
 * new head. Throws TransientError when GitHub cannot be asked (try next tick).
 */
export async function judgeNewCommits(
  deps: CommitGateDeps,
  followed: string,
  commits: readonly string[],
): Promise<GateVerdict> {
  const head = commits.at(-1);
  const base = await deps.load(followed);
  const target = head && (await deps.load(head));
  // Nothing to judge against: the head does not validate (it is refused elsewhere) or the followed head did not.
  if (!head || !base || !target) return { allowed: true };
  const net = ringsTouched(base, target);
  if (net.size === 0) return { allowed: true };
  for (const commit of commits) {
    const parent = await deps.firstParent(commit);
    const before = parent && (await deps.load(parent));
    const after = await deps.load(commit);
    // A commit that cannot be compared is judged on everything the whole range changes.
    const rings = before && after ? [...ringsTouched(before, after)].filter((r) => net.has(r)) : [...net];
    if (rings.length === 0) continue;
    const verdict = await checkApproval({
      client: deps.client,
      repo: deps.repo,
      branch: deps.branch,
      commit,
      rings,
      policy: withNewRings(base, rings),
      log: deps.log,
      cache: deps.cache,
      merges: deps.merges,
    });
    if (!verdict.approved) return { allowed: false, commit, reason: verdict.reason, detail: verdict.detail };
  }
  return { allowed: true };
}

/** The followed head's policy, with rings it does not know judged like its strictest ring. */
function withNewRings(base: Constellation, rings: readonly string[]): Constellation['policy'] {
  const known = base.policy.rings;
  const strictest = Object.values(known).reduce((a, b) => (b.approvals > a.approvals ? b : a));
  const added = rings.filter((r) => !known[r]).map((r) => [r, { ...strictest, directPush: false }] as const);
  return added.length ? { ...base.policy, rings: { ...known, ...Object.fromEntries(added) } } : base.policy;
}
