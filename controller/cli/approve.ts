import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigurationError } from '../errors.js';
import { createGitHubClient } from '../github/client.js';
import { openPullRequest } from '../github/pull-request.js';
import { EXIT, type CliContext } from './context.js';
import type { SimpleGit } from 'simple-git';
import { judgeApprovalTarget } from './approve-target.js';
import { cliLogger, gitHubRepo, readBase, requireToken } from './github-pr.js';

/**
 * `ringmaster approve TRANSITION`: approves a transition waiting at a manual
 * gate with the file groups/approvals/<transition>.yaml on the tracked branch:
 * committed there in a local repository, or, with --pull-request, through a
 * pull request on GitHub whose merge is the approval (the ring's reviewers
 * review it like any other change of the ring).
 */
export function registerApprove(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command('approve')
    .description('Approve a transition waiting at a manual gate: commit groups/approvals/<transition>.yaml')
    .argument(
      '<transition>',
      'the transition, <group>@<commit>, as the waiting reason names it (a unique commit prefix of 7 or more characters will do)',
    )
    .option('--repo <dir>', 'the local Ringmaster repository', ctx.env.repo)
    .option(
      '--state <dir>',
      "the controller's state folder, to check that the transition waits at its gate (skipped when absent)",
      '.ringmaster',
    )
    .option('--branch <name>', 'the tracked branch, which must be checked out', 'main')
    .option('--reason <text>', 'why, for the history')
    .option('--pull-request', 'open a pull request on GitHub instead of committing (needs GITHUB_TOKEN)')
    .option('--remote <name>', 'with --pull-request: the git remote of the repository on GitHub', 'origin')
    .option(
      '--github <owner/repo>',
      'with --pull-request: the repository on GitHub; default: read from the remote URL',
    )
    .action(async (given: string, opts: ApproveOptions) => {
      const judge = async (git: SimpleGit, head: string) => {
        const target = await judgeApprovalTarget(ctx, given, {
          git,
          head,
          branch: opts.branch,
          state: opts.state,
        });
        if (!target.ok) {
          ctx.io.err(`ringmaster: ${target.message}`);
          setExit(EXIT.findings);
          return undefined;
        }
        if (target.note) ctx.io.err(`ringmaster: ${target.note}`);
        return target.id;
      };
      if (opts.pullRequest) {
        if (await openApprovalPullRequest(ctx, opts, judge)) setExit(EXIT.ok);
        return;
      }
      const git = await ctx.openGit(opts.repo);
      const current = (await git.revparse(['--abbrev-ref', 'HEAD'])).trim();
      if (current !== opts.branch) {
        throw new ConfigurationError(
          'WrongBranch',
          `approvals are committed on ${opts.branch}, and ${opts.repo} has ${current} checked out; check out ${opts.branch} first`,
        );
      }
      const transition = await judge(git, (await git.revparse(['HEAD'])).trim());
      if (!transition) return;
      const path = `groups/approvals/${transition}.yaml`;
      const text = approvalYaml(transition, ctx.now(), opts.reason);
      await mkdir(join(opts.repo, 'groups', 'approvals'), { recursive: true });
      await writeFile(join(opts.repo, path), text);
      await git.add([path]);
      await git.commit(`Approve ${transition}`, [path]);
      const sha = (await git.revparse(['HEAD'])).trim();
      ctx.io.out(
        `approved ${transition} in commit ${sha.slice(0, 12)}; the controller cuts over at its next look at ${opts.branch}`,
      );
      setExit(EXIT.ok);
    });
}

interface ApproveOptions {
  repo: string;
  state: string;
  branch: string;
  reason?: string;
  pullRequest?: boolean;
  remote: string;
  github?: string;
}

/** The Approval file of `transition`. */
function approvalYaml(transition: string, now: Date, reason: string | undefined): string {
  const lines = [
    'apiVersion: ringmaster/v1',
    'kind: Approval',
    `transition: ${transition}`,
    `approvedAt: "${now.toISOString()}"`,
    ...(reason ? [`description: ${JSON.stringify(reason)}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Opens (or finds open) the pull request that adds the approval file on top
 * of the branch as the remote has it, once `judge` accepted the transition
 * there. Returns false when it did not.
 */
async function openApprovalPullRequest(
  ctx: CliContext,
  opts: ApproveOptions,
  judge: (git: SimpleGit, head: string) => Promise<string | undefined>,
): Promise<boolean> {
  const token = requireToken(ctx, 'approve --pull-request');
  const git = await ctx.openGit(opts.repo);
  const repo = await gitHubRepo(git, opts);
  const base = await readBase(git, opts);
  const transition = await judge(git, base.sha);
  if (!transition) return false;
  const path = `groups/approvals/${transition}.yaml`;
  const text = approvalYaml(transition, ctx.now(), opts.reason);
  const log = cliLogger(ctx);
  const title = `Approve ${transition}`;
  const pr = await openPullRequest({
    git,
    openGit: (dir) => ctx.openGit(dir),
    remote: opts.remote,
    client: createGitHubClient({ token, baseUrl: ctx.env.githubApiUrl, log }),
    repo,
    base: opts.branch,
    baseCommit: base.sha,
    branch: `ringmaster/approve-${transition.replace('@', '-')}`,
    title,
    body: [
      `Approves **${transition}**, which waits at a manual gate before cutover.`,
      '',
      `The group's new stack is up and passed its checks; merging this pull request lets the controller switch the group's traffic to it.`,
      ...(opts.reason ? ['', `Reason: ${opts.reason}`] : []),
      '',
      '_Opened by ringmaster approve; merging it is the approval._',
    ].join('\n'),
    files: new Map([[path, text]]),
    message: `${title}\n\nOpened by ringmaster approve; merging the pull request is the approval.`,
    log,
  });
  ctx.io.out(
    pr.created
      ? `opened pull request #${pr.number}: ${pr.url}; merging it approves ${transition}`
      : `pull request #${pr.number} is already open for ${transition}: ${pr.url}`,
  );
  return true;
}
