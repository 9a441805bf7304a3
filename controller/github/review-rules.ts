/**
 * How pull request reviews count towards a ring's approvals. Pure: team
 * memberships and write access come through lookups.
 *
 * Review rules, after GitHub's required reviews (docs.github.com, "Approving a pull
 * request with required reviews", "Dismissing a pull request review"):
 * - each reviewer's latest review that states an opinion counts: APPROVED or
 *   CHANGES_REQUESTED; a later COMMENTED review leaves it standing; a DISMISSED one
 *   (a dismissal turns the review into a comment) withdraws it;
 * - the author's own review never counts;
 * - an approval counts only when it was given on the pull request's final head (the
 *   review's `commit_id` is the head sha GitHub lists for the merged pull request):
 *   what was approved is what was merged, whether or not the repository dismisses
 *   stale approvals. A reviewer whose latest opinion approves an earlier commit
 *   neither approves nor blocks;
 * - only accounts with write access count (admin, maintain, write or a custom role
 *   on one of them): GitHub's rule for required reviews;
 * - the approval of whoever pushed the last commit never counts (GitHub's "require
 *   approval of the most recent reviewable push"). GitHub's API does not name the
 *   pusher; we read the rule as: the author and the committer of the head commit, as
 *   GitHub links them to accounts (`web-flow`, GitHub's own committer of web edits,
 *   is no person), besides the pull request's author;
 * - a standing CHANGES_REQUESTED blocks whatever commit it was given on, as on GitHub
 *   ("cannot be merged until the same collaborator submits another review
 *   approving"; new pushes do not lift it), when it comes from someone with write
 *   access (as on GitHub) who could count for the ring: one of its listed reviewers,
 *   or anyone when it lists none.
 */
import type { RingPolicy } from '../model/types.js';

/** One review as GitHub lists it, narrowed; `login` is absent for a deleted account. */
export interface ReviewRecord {
  readonly login?: string | undefined;
  readonly state: string;
  /** The commit the review was given on (GitHub's `commit_id`); null when GitHub names none. */
  readonly commitId: string | null;
}

/**
 * Each reviewer's standing opinion from reviews in GitHub's (chronological) order:
 * the latest APPROVED or CHANGES_REQUESTED; DISMISSED withdraws it; COMMENTED and
 * PENDING leave it. The author's own reviews are skipped. Logins compare
 * case-insensitively, as on GitHub.
 */
export function standingOpinions(reviews: readonly ReviewRecord[], author: string): Opinion[] {
  const latest = new Map<string, Opinion>();
  for (const { login, state, commitId } of reviews) {
    if (!login || login.toLowerCase() === author.toLowerCase()) continue;
    const key = login.toLowerCase();
    if (state === 'APPROVED' || state === 'CHANGES_REQUESTED') latest.set(key, { login, state, commitId });
    else if (state === 'DISMISSED') latest.delete(key);
  }
  return [...latest.values()];
}

/** A reviewer's standing opinion, and the commit it was given on. */
export interface Opinion {
  readonly login: string;
  readonly state: 'APPROVED' | 'CHANGES_REQUESTED';
  readonly commitId: string | null;
}

/** Why a standing opinion does not count. */
export type Discount = 'earlier-commit' | 'pushed-head' | 'no-write-access';

/** A standing opinion that does not count, and why. */
export interface Discounted {
  readonly opinion: Opinion;
  readonly why: Discount;
}

/** Answers whether an account has write access to the repository (the adapter asks GitHub). */
export interface WriteLookup {
  canWrite(login: string): Promise<boolean>;
}

/** What decides which standing opinions count. */
export interface CountingRules {
  /** The pull request's final head: the head sha GitHub lists for it once merged. */
  readonly head: string;
  /**
   * Logins that stand for "the most recent push", whose approval never counts: the
   * author and committer of the head commit (see README, "Running against GitHub").
   */
  readonly pushers: readonly string[];
  readonly writers: WriteLookup;
}

/** The opinions that count, and those that do not with why. */
export interface CountedOpinions {
  readonly counted: readonly Opinion[];
  readonly discounted: readonly Discounted[];
}

/**
 * Splits standing opinions into those that count and those that do not. An
 * approval counts when given on `rules.head`, by someone other than a pusher,
 * with write access (checked last, so GitHub is asked only about approvals that
 * could count). A change request counts, whatever commit it was given on, when
 * its reviewer has write access.
 */
export async function countOpinions(
  opinions: readonly Opinion[],
  rules: CountingRules,
): Promise<CountedOpinions> {
  const pushers = new Set(rules.pushers.map((login) => login.toLowerCase()));
  const counted: Opinion[] = [];
  const discounted: Discounted[] = [];
  for (const opinion of opinions) {
    const approval = opinion.state === 'APPROVED';
    let why: Discount | undefined;
    if (approval && opinion.commitId !== rules.head) why = 'earlier-commit';
    else if (approval && pushers.has(opinion.login.toLowerCase())) why = 'pushed-head';
    else if (!(await rules.writers.canWrite(opinion.login))) why = 'no-write-access';
    if (why) discounted.push({ opinion, why });
    else counted.push(opinion);
  }
  return { counted, discounted };
}

/** How a discounted opinion reads: `short` for a status description, `long` for the log. */
export function describeDiscount(d: Discounted, head: string): { short: string; long: string } {
  const { login, commitId, state } = d.opinion;
  const tip = head.slice(0, 7);
  if (d.why === 'earlier-commit') {
    const given = commitId ? commitId.slice(0, 7) : 'without naming a commit';
    return {
      short: `${login} (earlier commit)`,
      long: `${login} approved ${given}, not the head ${tip} the pull request was merged with`,
    };
  }
  if (d.why === 'pushed-head')
    return {
      short: `${login} (pushed the head)`,
      long: `${login} authored or committed the head ${tip}: the approval of whoever pushed last does not count`,
    };
  const what = state === 'APPROVED' ? 'approval does not count' : 'change request does not block';
  return {
    short: `${login} (no write access)`,
    long: `${login} has no write access to the repository: the ${what}`,
  };
}

/** Answers team membership questions (the adapter asks GitHub). */
export interface TeamLookup {
  isMember(org: string, team: string, login: string): Promise<boolean>;
  /** True when every membership asked of the team answered 404 (a missing or invisible team looks the same). */
  onlyNotFound(org: string, team: string): boolean;
}

/** One ring's verdict. */
export interface RingJudgement {
  readonly ok: boolean;
  /** Short: for the status description. */
  readonly summary: string;
  /** Long: for the log. */
  readonly detail: string;
}

/**
 * One ring's rules against the opinions: at least `approvals` approvals; when the
 * ring lists reviewers and asks for any approval, one of them from a listed
 * reviewer; no standing change request from someone who could count.
 */
export async function judgeRing(
  ring: string,
  rules: RingPolicy,
  opinions: readonly Opinion[],
  teams: TeamLookup,
): Promise<RingJudgement> {
  const listed = rules.reviewers;
  const blockers: string[] = [];
  for (const o of opinions)
    if (o.state === 'CHANGES_REQUESTED' && (!listed.length || (await matchReviewer(o.login, listed, teams))))
      blockers.push(o.login);
  if (blockers.length) {
    const summary = `ring ${ring}: changes requested by ${blockers.join(', ')}`;
    return { ok: false, summary, detail: `${summary}; they must approve, or their review be dismissed` };
  }
  const approvers = opinions.filter((o) => o.state === 'APPROVED').map((o) => o.login);
  // approvals: 0 asks only for a merged pull request; reviewers then just route review requests.
  const needsListed = rules.approvals > 0 && listed.length > 0;
  const fromListed: string[] = [];
  for (const login of needsListed ? approvers : []) {
    const via = await matchReviewer(login, listed, teams);
    if (via) fromListed.push(via.toLowerCase() === `@${login.toLowerCase()}` ? login : `${login} via ${via}`);
  }
  const need = `${rules.approvals} approval${rules.approvals === 1 ? '' : 's'}${needsListed ? ` incl. ${listed.join(' or ')}` : ''}`;
  const has = `has ${approvers.length}${approvers.length ? ` (${approvers.join(', ')})` : ''}`;
  if (approvers.length >= rules.approvals && (!needsListed || fromListed.length)) {
    const via = fromListed.length ? `; ${fromListed.join(', ')}` : '';
    return { ok: true, summary: `ring ${ring}: needs ${need}, ${has}${via}`, detail: '' };
  }
  const summary = `ring ${ring} needs ${need}; ${has}`;
  const hints = listed
    .map((r) => r.slice(1).split('/'))
    .filter(([org, team]) => team !== undefined && teams.onlyNotFound(org!, team))
    .map(
      ([org, team]) =>
        `GitHub answered 404 to every membership asked of @${org}/${team}: if that is unexpected, check that the team exists and that the token may read its members`,
    );
  return { ok: false, summary, detail: [summary, ...hints].join('; ') };
}

/** The entry of `listed` that `login` satisfies (`@login`, or `@org/team` with an active membership). */
async function matchReviewer(
  login: string,
  listed: readonly string[],
  teams: TeamLookup,
): Promise<string | undefined> {
  const parsed = listed.map((entry) => ({ entry, parts: entry.slice(1).split('/') }));
  const user = parsed.find(
    ({ parts }) => parts.length === 1 && parts[0]!.toLowerCase() === login.toLowerCase(),
  );
  if (user) return user.entry;
  for (const { entry, parts } of parsed) {
    const [org, team] = parts;
    if (org !== undefined && team !== undefined && (await teams.isMember(org, team, login))) return entry;
  }
  return undefined;
}
