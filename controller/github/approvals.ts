/**
 * Was a commit on the tracked branch approved the way the promotion policy asks?
 * A merged pull request is the approval: the commit must have reached the branch
 * through one, a merge or squash commit must be what merging it produces, and its
 * reviews must meet the approvals and reviewers of every ring the commit changes.
 * Reads GitHub (pull requests, their commits and reviews, reviewers' permissions and
 * team memberships) and asks the mirror to compare merges; changes nothing on GitHub.
 * How reviews count: see review-rules.ts; how merges compare: see merge-effect.ts.
 */
import type { Logger } from 'pino';
import { ConfigurationError } from '../errors.js';
import type { PromotionPolicy, RingPolicy } from '../model/types.js';
import type { GitHubClient, RepoRef } from './client.js';
import { callGitHub } from './github-calls.js';
import { type MergeEffects, mergeRefusal } from './merge-effect.js';
import { type PullFacts, findMergedPulls } from './merged-pulls.js';
import { teamLookup, writeLookup } from './reviewer-lookups.js';
import {
  type Opinion,
  type TeamLookup,
  type WriteLookup,
  countOpinions,
  describeDiscount,
  judgeRing,
  standingOpinions,
} from './review-rules.js';

/** What `checkApproval` needs. */
export interface ApprovalRequest {
  readonly client: GitHubClient;
  readonly repo: RepoRef;
  /** The tracked branch the commit is on; a pull request must have been merged into it. */
  readonly branch: string;
  /** Full sha of the commit. */
  readonly commit: string;
  /** Names of the rings the commit changes (the caller computes them). */
  readonly rings: readonly string[];
  readonly policy: PromotionPolicy;
  readonly log: Logger;
  /** Verdicts remembered between calls (see ApprovalCache); without one every call asks GitHub. */
  readonly cache?: ApprovalCache;
  /** Compares a merge or squash commit with what merging its pull request produces (the mirror). */
  readonly merges: MergeEffects;
}

/** The verdict. `reason` fits a 140-character status description; `detail` is for the log. */
export type ApprovalVerdict =
  | { readonly approved: true; readonly pullRequest?: number; readonly reasons: readonly string[] }
  | {
      readonly approved: false;
      readonly pullRequest?: number;
      readonly reason: string;
      readonly detail: string;
    };

/** Options of an ApprovalCache. */
export interface ApprovalCacheOptions {
  /** Clock in epoch milliseconds; default Date.now. */
  readonly now?: () => number;
  /** How long a refusal is remembered; default 10 minutes. */
  readonly refusalTtlMs?: number;
  /** Verdicts kept at most, oldest dropped first; default 1000. */
  readonly maxEntries?: number;
}

/**
 * Verdicts per commit, repository, branch and ring rules. An approval is kept for
 * good: a merged pull request and the reviews it was merged with do not change.
 * A refusal is asked again after `refusalTtlMs`, because GitHub may list the pull
 * request of a fresh merge only moments later (release-drafter/release-drafter#322).
 */
export class ApprovalCache {
  private readonly entries = new Map<string, { verdict: ApprovalVerdict; expires: number }>();
  private readonly now: () => number;
  private readonly refusalTtlMs: number;
  private readonly maxEntries: number;

  constructor(options: ApprovalCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    this.refusalTtlMs = options.refusalTtlMs ?? 10 * 60_000;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  /** The remembered verdict, or undefined when none or expired. */
  get(key: string): ApprovalVerdict | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expires > this.now()) return entry.verdict;
    this.entries.delete(key);
    return undefined;
  }

  /** Remembers a verdict. */
  set(key: string, verdict: ApprovalVerdict): void {
    const expires = verdict.approved ? Infinity : this.now() + this.refusalTtlMs;
    this.entries.delete(key);
    this.entries.set(key, { verdict, expires });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}

/**
 * Decides whether `commit` may change `rings`. No rings, or only rings with
 * `directPush: true`: approved without asking GitHub. Otherwise the commit needs a
 * merged pull request into `branch` (its merge or squash commit, then compared with
 * merging its final head, or one of its commits) whose reviews meet every such ring's
 * rules. Throws TransientError when GitHub is unreachable, answers 5xx or stays
 * rate-limited, or the mirror cannot compare a merge (retry next tick), and
 * ConfigurationError when the repository is unknown to the token, the token is
 * refused, GitHub does not know the commit, or git is too old to compare merges.
 * Throws ConfigurationError for a ring the policy does not name.
 */
export async function checkApproval(req: ApprovalRequest): Promise<ApprovalVerdict> {
  const rings = [...new Set(req.rings)];
  const rules = rings.map((ring) => [ring, ringRules(req.policy, ring)] as const);
  const guarded = rules.filter(([, r]) => !r.directPush);
  if (!rings.length) return { approved: true, reasons: ['changes no ring'] };
  const direct = rules.filter(([, r]) => r.directPush).map(([ring]) => `ring ${ring} allows direct pushes`);
  if (!guarded.length) return { approved: true, reasons: direct };
  const asked = guarded.map(([ring, r]) => [ring, r.approvals, r.reviewers]);
  const key = JSON.stringify([req.repo.owner, req.repo.repo, req.branch, req.commit, asked]);
  const fields = { commit: req.commit, rings: guarded.map(([ring]) => ring) };
  const cached = req.cache?.get(key);
  if (cached) {
    req.log.debug({ ...fields, approved: cached.approved }, 'Approval verdict from cache');
    return cached;
  }
  let verdict = await decide(req, guarded);
  if (verdict.approved) verdict = { ...verdict, reasons: [...verdict.reasons, ...direct] };
  req.cache?.set(key, verdict);
  if (verdict.approved) req.log.info({ ...fields, pullRequest: verdict.pullRequest }, 'Commit approved');
  else
    req.log.warn(
      { ...fields, pullRequest: verdict.pullRequest, detail: verdict.detail },
      'Commit not approved',
    );
  return verdict;
}

type RingRules = readonly (readonly [string, RingPolicy])[];

function ringRules(policy: PromotionPolicy, ring: string): RingPolicy {
  const rules = policy.rings[ring];
  if (!rules)
    throw new ConfigurationError(
      'UnknownRing',
      `the promotion policy (${policy.file}) has no rules for ring ${ring}; add them under rings:`,
    );
  return rules;
}

async function decide(req: ApprovalRequest, guarded: RingRules): Promise<ApprovalVerdict> {
  const { pulls, rebased } = await findMergedPulls(req);
  if (!pulls.length) return noPull(req, guarded, rebased);
  const lookups: Lookups = { teams: teamLookup(req), writers: writeLookup(req) };
  let refusal: ApprovalVerdict | undefined;
  for (const pull of pulls) {
    const verdict = await judgePull(req, pull, guarded, lookups);
    if (verdict.approved) return verdict;
    refusal ??= verdict;
  }
  return refusal!;
}

/** The refusal of a commit no merged pull request into the branch brought as its merge commit or one of its commits. */
function noPull(req: ApprovalRequest, guarded: RingRules, rebased: readonly number[]): ApprovalVerdict {
  const names = guarded.map(([ring]) => ring);
  const plural = names.length > 1;
  const rings = `${plural ? 'rings' : 'ring'} ${names.join(', ')} ${plural ? 'need' : 'needs'}`;
  const c = req.commit.slice(0, 7);
  if (rebased.length) {
    const pulls = rebased.map((n) => `#${n}`).join(', ');
    const reason = `${c} is an earlier commit of a rebase merge of ${pulls}; ${rings} a merge or squash commit`;
    const detail = `${reason}. Only a pull request's merge or squash commit (or the last commit of a rebase merge) can be compared with what the pull request changed; merge or squash pull requests that change rings`;
    return { approved: false, pullRequest: rebased[0], reason: fit(reason), detail };
  }
  const reason = `not applied: ${c} reached ${req.branch} without a merged pull request; ${rings} one`;
  const detail = `${reason}. GitHub lists no pull request merged into ${req.branch} whose merge commit is ${req.commit} or whose commits include it; direct pushes are allowed only for rings with directPush: true in ${req.policy.file}`;
  return { approved: false, reason: fit(reason), detail };
}

/** The questions about reviewers, each asked of GitHub once per verdict. */
interface Lookups {
  readonly teams: TeamLookup;
  readonly writers: WriteLookup;
}

async function judgePull(
  req: ApprovalRequest,
  pull: PullFacts,
  guarded: RingRules,
  lookups: Lookups,
): Promise<ApprovalVerdict> {
  if (!pull.pushers) return unknownPusher(pull);
  const smuggled = pull.via === 'merge' ? await compareMerge(req, pull) : undefined;
  if (smuggled) return smuggled;
  const opinions = await latestOpinions(req, pull);
  const rules = { head: pull.head, pushers: pull.pushers, writers: lookups.writers };
  const { counted, discounted } = await countOpinions(opinions, rules);
  const passed: string[] = [];
  const failed: { reason: string; detail: string }[] = [];
  for (const [ring, ringPolicy] of guarded) {
    const result = await judgeRing(ring, ringPolicy, counted, lookups.teams);
    if (result.ok) passed.push(result.summary);
    else failed.push({ reason: result.summary, detail: result.detail });
  }
  const approvers = counted.filter((o) => o.state === 'APPROVED').map((o) => o.login);
  const notCounted = discounted.map((d) => ({ ...describeDiscount(d, pull.head), state: d.opinion.state }));
  const shortList = notCounted.filter((n) => n.state === 'APPROVED').map((n) => n.short);
  const ignored = shortList.length ? `; not counted: ${shortList.join(', ')}` : '';
  const head = `#${pull.number} (${pull.url}) by ${pull.author}, approved by ${approvers.join(', ') || 'nobody'}${ignored}`;
  if (!failed.length) return { approved: true, pullRequest: pull.number, reasons: [head, ...passed] };
  return {
    approved: false,
    pullRequest: pull.number,
    reason: fit(`${failed.map((f) => f.reason).join('; ')}${ignored}`),
    detail: [`${head}: ${failed.map((f) => f.detail).join('; ')}`, ...notCounted.map((n) => n.long)].join(
      '; ',
    ),
  };
}

/** The refusal of a merge or squash commit that is not what merging the pull request produces, if it is not. */
async function compareMerge(req: ApprovalRequest, pull: PullFacts): Promise<ApprovalVerdict | undefined> {
  const compared = await req.merges.compare(req.commit, pull.head, pull.number);
  const refused = mergeRefusal(req.commit, pull, compared);
  if (!refused) return undefined;
  return { approved: false, pullRequest: pull.number, reason: fit(refused.reason), detail: refused.detail };
}

/** A pull request whose head commit GitHub does not list: who pushed last cannot be told. */
function unknownPusher(pull: PullFacts): ApprovalVerdict {
  const reason = `#${pull.number}: GitHub lists ${pull.listed} of its commits, not its head ${pull.head.slice(0, 7)}, so who pushed last is unknown`;
  const detail = `${reason}: GitHub lists at most 250 commits of a pull request; the approval of whoever pushed last must not count, and the head commit's author and committer are how the controller tells who did. Merge the change through smaller pull requests`;
  return { approved: false, pullRequest: pull.number, reason: fit(reason), detail };
}

/** Each reviewer's standing opinion on the pull request, with the commit it was given on. */
async function latestOpinions(req: ApprovalRequest, pull: PullFacts): Promise<Opinion[]> {
  const { client, repo } = req;
  const reviews = await callGitHub(req, `ListReviews #${pull.number}`, false, () =>
    client.paginate(client.rest.pulls.listReviews, { ...repo, pull_number: pull.number, per_page: 100 }),
  );
  return standingOpinions(
    reviews.map((r) => ({ login: r.user?.login, state: r.state, commitId: r.commit_id })),
    pull.author,
  );
}

/** GitHub refuses status descriptions over 140 characters. */
function fit(text: string, max = 140): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
