import type { Command } from 'commander';
import { createGitHubBakeEvidence } from '../github/bake-evidence.js';
import { createGitHubClient } from '../github/client.js';
import { openPullRequest } from '../github/pull-request.js';
import { formatDiagnostic } from '../model/diagnostics.js';
import { setRingRelease } from '../model/edit-rings.js';
import type { FileSource, SourceEntry } from '../model/file-source.js';
import { RING_SET_PATH } from '../model/layout.js';
import { type LoadResult, loadConstellation } from '../model/load.js';
import { planChange } from '../plan/change-plan.js';
import { buildPlanReport } from '../plan/report.js';
import { type BakeEvidence, gatherBakeEvidence } from '../policy/bake-evidence.js';
import { bakeQuestions } from '../policy/verdicts.js';
import { type PlanReport, renderPlan } from '../plan/render.js';
import { GitCommitSource } from '../source/git-source.js';
import { EXIT, type CliContext } from './context.js';
import { addSourceOptions } from './options.js';
import { cliLogger, gitHubRepo, readBase, requireToken } from './github-pr.js';
import { type SourceOptions, parseLimitsOf } from './source.js';

interface PromoteOptions extends SourceOptions {
  to: string;
  branch: string;
  remote: string;
  github?: string;
  dryRun?: boolean;
}

/**
 * `ringmaster promote VERSION --to RING`: edits the ring's release in
 * groups/rings.yaml on top of the base branch as the remote has it, checks
 * the result like `ringmaster check`, and opens a pull request whose body is
 * that plan. Merging the pull request is the approval. With --dry-run it only
 * prints the title and body.
 */
export function registerPromote(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addSourceOptions(program.command('promote'), ctx)
    .description(
      'Open a pull request that promotes a release to a ring, with the plan and the policy verdicts as its body',
    )
    .argument('<version>', 'the release to promote, for example 2026.11.2')
    .requiredOption('--to <ring>', 'the ring to promote it to')
    .option('--branch <name>', 'the base branch the pull request merges into', 'main')
    .option('--remote <name>', 'the git remote of the repository on GitHub', 'origin')
    .option('--github <owner/repo>', 'the repository on GitHub; default: read from the remote URL')
    .option('--dry-run', 'print the pull request title and body; push nothing, open nothing')
    .action(async (version: string, opts: PromoteOptions) => {
      // A dry run uses a token when there is one (to show the bake evidence) but needs none.
      const token = opts.dryRun ? ctx.env.githubToken : requireToken(ctx, 'promote');
      const git = await ctx.openGit(opts.repo);
      const repo =
        token === undefined
          ? undefined
          : await gitHubRepo(git, opts).catch((err: unknown) => {
              if (opts.dryRun) return undefined;
              throw err;
            });
      const target = token === undefined || repo === undefined ? undefined : { token, repo };
      const base = await readBase(git, opts);
      const baseSource = new GitCommitSource(git, base.sha);
      const text = (await baseSource.read([RING_SET_PATH])).get(RING_SET_PATH)?.toString('utf8') ?? '';
      const edited = setRingRelease(text, opts.to, version);
      const branch = `ringmaster/promote-${opts.to}-${version}`;
      const title = `Promote ${version} to ${opts.to}`;
      const head = withFile(baseSource, RING_SET_PATH, edited, `${branch} (not pushed yet)`);
      const log = cliLogger(ctx);
      const client =
        target && createGitHubClient({ token: target.token, baseUrl: ctx.env.githubApiUrl, log });
      // With GitHub at hand the body carries the bake evidence too, read as `check --github` reads it.
      const evidence =
        client && target && createGitHubBakeEvidence({ git, base: base.sha, client, repo: target.repo });
      const report = await planPromotion(
        ctx,
        opts,
        version,
        { source: baseSource, label: base.label },
        head,
        evidence,
      );
      if (!report) {
        setExit(EXIT.findings);
        return;
      }
      const body = renderPlan(report);
      if (opts.dryRun || !target || !client || !report.allowed) {
        ctx.io.out(`Title: ${title}\nBranch: ${branch} → ${opts.branch}\n\n${body}\n`);
        ctx.io.out(
          report.allowed
            ? '(dry run: nothing was pushed and no pull request was opened)'
            : `✗ the promotion policy forbids promoting ${version} to ${opts.to} now (see above); nothing was pushed`,
        );
        setExit(report.allowed ? EXIT.ok : EXIT.findings);
        return;
      }
      const pr = await openPullRequest({
        git,
        openGit: (dir) => ctx.openGit(dir),
        remote: opts.remote,
        client,
        repo: target.repo,
        base: opts.branch,
        baseCommit: base.sha,
        branch,
        title,
        body,
        files: new Map([[RING_SET_PATH, edited]]),
        message: `${title}\n\nOpened by ringmaster promote; merging the pull request is the approval.`,
        log,
      });
      ctx.io.out(
        pr.created
          ? `opened pull request #${pr.number}: ${pr.url}`
          : `pull request #${pr.number} is already open for ${branch}: ${pr.url}`,
      );
      setExit(EXIT.ok);
    });
}

/**
 * Loads base and head and plans the change exactly as `ringmaster check`
 * does. Prints the findings and returns undefined when either does not
 * validate: a promotion is judged against a valid base, and only a valid
 * head is ever pushed.
 */
async function planPromotion(
  ctx: CliContext,
  opts: PromoteOptions,
  version: string,
  base: { source: FileSource; label: string },
  head: FileSource,
  evidence?: BakeEvidence,
): Promise<PlanReport | undefined> {
  const limits = parseLimitsOf(opts);
  const load = (source: FileSource): Promise<LoadResult> =>
    loadConstellation(source, { validator: ctx.schemas(), limits });
  const [from, to] = [await load(base.source), await load(head)];
  if (!from.constellation) {
    for (const d of from.diagnostics) ctx.io.out(formatDiagnostic(d));
    ctx.io.out(`✗ the base ${base.label} does not validate; repair it before promoting; nothing was pushed`);
    return undefined;
  }
  if (!to.constellation) {
    for (const d of to.diagnostics) ctx.io.out(formatDiagnostic(d));
    ctx.io.out(`✗ promoting ${version} to ${opts.to} does not validate (see above); nothing was pushed`);
    return undefined;
  }
  const plan = planChange(from.constellation, to.constellation);
  const bake = evidence && (await gatherBakeEvidence(evidence, bakeQuestions(plan, to.constellation)));
  return buildPlanReport(
    from.constellation,
    to.constellation,
    { base: base.label, head: head.label },
    ctx.now(),
    { bake },
    plan,
  );
}

/** `source` with the file at `path` replaced by `text`, in memory: nothing is written anywhere. */
function withFile(source: FileSource, path: string, text: string, label: string): FileSource {
  const bytes = Buffer.from(text, 'utf8');
  return {
    label,
    async list(folders, options) {
      const entries = await source.list(folders, options);
      // No id: the content id of the old file must not stand for the new one.
      return entries.map((e): SourceEntry =>
        e.path === path ? { path, type: 'file', size: bytes.length } : e,
      );
    },
    async read(paths) {
      const result = await source.read(paths.filter((p) => p !== path));
      if (paths.includes(path)) result.set(path, bytes);
      return result;
    },
  };
}
