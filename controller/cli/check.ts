import type { Command } from 'commander';
import { parseInstant } from '../config.js';
import { ConfigurationError } from '../errors.js';
import { createGitHubBakeEvidence } from '../github/bake-evidence.js';
import { type GitHubClient, type RepoRef, createGitHubClient, parseRepoRef } from '../github/client.js';
import { formatDiagnostic } from '../model/diagnostics.js';
import type { LoadResult } from '../model/load.js';
import type { Constellation } from '../model/types.js';
import { type ChangePlan, planChange } from '../plan/change-plan.js';
import { buildPlanReport } from '../plan/report.js';
import { type PlanReport, renderPlan } from '../plan/render.js';
import { gatherBakeEvidence } from '../policy/bake-evidence.js';
import { rehearsalQuestions } from '../policy/move-verdicts.js';
import { gatherRehearsals } from '../policy/rehearsal.js';
import { type Evidence, bakeQuestions } from '../policy/verdicts.js';
import { GitMoveHistory } from '../source/ring-history.js';
import { GitCommitSource } from '../source/git-source.js';
import { GitHubStatusReporter } from '../status/github.js';
import { CONTEXT_PREFIX, type CommitStatus, fitDescription } from '../status/reporter.js';
import { EXIT, type CliContext } from './context.js';
import { cliLogger } from './github-pr.js';
import { addSourceOptions } from './options.js';
import { type SourceOptions, loadFrom } from './source.js';

interface CheckOptions extends SourceOptions {
  base: string;
  head: string;
  now?: string;
  json?: boolean;
  github?: string;
  statusSha?: string;
}

/** The repository on GitHub that check reads bake evidence from and posts its verdict to. */
interface GitHubTarget {
  readonly client: GitHubClient;
  readonly repo: RepoRef;
}

/** The context of the verdict status; branch protection should require it. */
export const POLICY_CONTEXT = `${CONTEXT_PREFIX}/policy`;

/** What the token must allow, for the message when it is missing. */
const CHECK_TOKEN_SCOPES =
  'a token that can read commit statuses, and write them with --status-sha (Commit statuses: write; in GitHub Actions, secrets.GITHUB_TOKEN with permissions statuses: write)';

/**
 * `ringmaster check`: what a pull request would do, and whether the policy
 * lets it. With --github it reads the bake evidence from the controller's
 * ring statuses on GitHub; with --status-sha it also posts the verdict as the
 * commit status `ringmaster/policy`. Exit 0 allowed, 1 forbidden or invalid
 * head, 2 on errors.
 */
export function registerCheck(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addSourceOptions(program.command('check'), ctx)
    .description(
      'Explain what going from one commit to another does, with a verdict per policy rule; exit 1 when policy forbids it',
    )
    .requiredOption('--base <rev>', 'the commit the change starts from (the pull request base)')
    .requiredOption('--head <rev>', 'the commit the change ends at (the pull request head)')
    .option('--now <time>', 'judge freeze windows and bake times at this time instead of now (ISO 8601)')
    .option('--json', 'print the plan and verdicts as JSON')
    .option(
      '--github <owner/repo>',
      "read bake evidence from the controller's ring statuses, and rehearsal evidence from the sandbox's move statuses, in this GitHub repository (needs GITHUB_TOKEN)",
    )
    .option(
      '--status-sha <sha>',
      `post the verdict as commit status ${POLICY_CONTEXT} on this commit (needs --github)`,
    )
    .action(async (opts: CheckOptions) => {
      const target = openTarget(ctx, opts);
      const { code, status } = await judge(ctx, opts, target);
      if (target && opts.statusSha !== undefined) await postStatus(ctx, target, opts.statusSha, status);
      setExit(code);
    });
}

/** Loads base and head, prints the plan and verdicts, and returns the exit code and the status that says the same. */
async function judge(
  ctx: CliContext,
  opts: CheckOptions,
  target: GitHubTarget | undefined,
): Promise<{ code: number; status: CommitStatus }> {
  const now = opts.now ? parseInstant(opts.now, '--now') : ctx.now();
  const base = await loadFrom(ctx, opts, opts.base);
  const head = await loadFrom(ctx, opts, opts.head);
  if (!head.result.constellation) {
    for (const d of head.result.diagnostics) ctx.io.out(formatDiagnostic(d));
    ctx.io.out(`✗ ${opts.head} (${head.source.label}) does not validate; fix the errors above first`);
    return { code: EXIT.findings, status: invalidHeadStatus(head.result) };
  }
  if (!base.result.constellation) {
    // A broken base (for example after Ringmaster's own rules grew stricter) must not block the
    // pull request that repairs it; say plainly that nothing could be compared.
    ctx.io.out(
      `⚠️ base ${opts.base} (${base.source.label}) does not validate, so no promotion can be judged against it.`,
    );
    ctx.io.out(`✓ head ${opts.head} (${head.source.label}) validates; review this change as a repair.`);
    const description = 'base does not validate, head does: review this change as a repair';
    return { code: EXIT.ok, status: { state: 'success', context: POLICY_CONTEXT, description } };
  }
  const plan = planChange(base.result.constellation, head.result.constellation);
  // --base is required, so base.source is always a commit; the check keeps the type honest.
  const evidence =
    target && base.source instanceof GitCommitSource
      ? await readEvidence(ctx, opts.repo, target, base.source.commit, plan, head.result.constellation)
      : {};
  const report = buildPlanReport(
    base.result.constellation,
    head.result.constellation,
    { base: base.source.label, head: head.source.label },
    now,
    evidence,
    plan,
  );
  ctx.io.out(opts.json ? JSON.stringify(report, null, 2) : renderPlan(report));
  return { code: report.allowed ? EXIT.ok : EXIT.findings, status: policyStatus(report) };
}

/**
 * The GitHub client and repository for --github, or undefined without it.
 * Throws ConfigurationError for --status-sha without --github, a sha that is
 * not a full commit id, or a missing GITHUB_TOKEN.
 */
function openTarget(ctx: CliContext, opts: CheckOptions): GitHubTarget | undefined {
  if (opts.statusSha !== undefined && !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(opts.statusSha))
    throw new ConfigurationError(
      'BadStatusSha',
      `--status-sha must be a full commit sha (40 hex digits), for example github.event.pull_request.head.sha; got "${opts.statusSha}"`,
    );
  if (opts.github === undefined) {
    if (opts.statusSha !== undefined)
      throw new ConfigurationError(
        'StatusNeedsGitHub',
        '--status-sha posts a commit status on GitHub and needs --github OWNER/REPO',
      );
    return undefined;
  }
  const repo = parseRepoRef(opts.github);
  const token = ctx.env.githubToken;
  if (!token)
    throw new ConfigurationError(
      'MissingGitHubToken',
      `--github ${opts.github} needs GITHUB_TOKEN in the environment: ${CHECK_TOKEN_SCOPES}`,
    );
  return { client: createGitHubClient({ token, baseUrl: ctx.env.githubApiUrl, log: cliLogger(ctx) }), repo };
}

/**
 * Asks GitHub, through the base's history, since when each release the plan
 * promotes has been healthy; and, where the policy asks for rehearsals,
 * through the sandbox branch's history, whether each move succeeded there.
 */
async function readEvidence(
  ctx: CliContext,
  repoDir: string,
  target: GitHubTarget,
  base: string,
  plan: ChangePlan,
  head: Constellation,
): Promise<Evidence> {
  const git = await ctx.openGit(repoDir);
  const bakeEvidence = createGitHubBakeEvidence({ git, base, client: target.client, repo: target.repo });
  const bake = await gatherBakeEvidence(bakeEvidence, bakeQuestions(plan, head));
  const rehearse = rehearsalQuestions(plan.moves, head);
  if (!rehearse.length) return { bake };
  const rehearsal = await gatherRehearsals(
    {
      history: new GitMoveHistory(git),
      statuses: new GitHubStatusReporter(target.client, target.repo),
      source: `GitHub ${target.repo.owner}/${target.repo.repo}`,
    },
    head.policy.moves.rehearsal!.branch,
    rehearse,
  );
  return { bake, rehearsal };
}

/** Posts `status` on `sha` (unless its latest status there already says the same); says on stderr what happened. */
async function postStatus(
  ctx: CliContext,
  target: GitHubTarget,
  sha: string,
  status: CommitStatus,
): Promise<void> {
  const written = await new GitHubStatusReporter(target.client, target.repo).report(sha, status);
  ctx.io.err(
    written
      ? `${status.context}: ${status.state} posted on ${sha.slice(0, 12)}`
      : `${status.context}: ${status.state} already on ${sha.slice(0, 12)}; not posted again`,
  );
}

/**
 * The verdict as a commit status: `success` "allowed: promote 2026.11.2 to
 * early · 4 rules pass", or `failure` with the first failing rule's message;
 * descriptions fitted to GitHub's 140 characters.
 */
export function policyStatus(report: PlanReport): CommitStatus {
  const failing = report.verdicts.find((v) => v.status === 'fail');
  if (failing)
    return { state: 'failure', context: POLICY_CONTEXT, description: fitDescription(failing.message) };
  const count = (status: string) => report.verdicts.filter((v) => v.status === status).length;
  const passing = count('pass');
  const unverified = count('unverified');
  const rules = `${passing} rule${passing === 1 ? ' passes' : 's pass'}${unverified ? `, ${unverified} unverified` : ''}`;
  return {
    state: 'success',
    context: POLICY_CONTEXT,
    description: fitDescription(`allowed: ${summarize(report)} · ${rules}`),
  };
}

/** What the change does, in a few words: its ring changes, else whether anything changes at all. */
function summarize(report: PlanReport): string {
  const { plan } = report;
  if (plan.rings.length)
    return plan.rings
      .map((c) =>
        c.kind === 'rollback'
          ? `roll ${c.ring} back to ${c.to}`
          : `${c.kind === 'backport' ? 'back-port' : 'promote'} ${c.to} to ${c.ring}`,
      )
      .join('; ');
  const changes =
    plan.groups.length ||
    plan.releases.length ||
    plan.policyChanged ||
    plan.ringsAdded.length ||
    plan.ringsRemoved.length;
  return changes ? 'no ring changes its release' : 'no change to the desired state';
}

/** `error` for a head that does not validate, naming the first error. */
function invalidHeadStatus(result: LoadResult): CommitStatus {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0];
  const count = `${errors.length} error${errors.length === 1 ? '' : 's'}`;
  return {
    state: 'error',
    context: POLICY_CONTEXT,
    description: fitDescription(
      `head does not validate (${count})${first ? `: ${formatDiagnostic(first)}` : ''}`,
    ),
  };
}
