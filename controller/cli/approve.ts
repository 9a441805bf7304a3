import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigurationError } from '../errors.js';
import { EXIT, type CliContext } from './context.js';

const TRANSITION = /^[a-z]([-a-z0-9]*[a-z0-9])?@[0-9a-f]{12}$/;

/**
 * `ringmaster approve TRANSITION`: approves a transition waiting at a manual
 * gate by committing groups/approvals/<transition>.yaml on the tracked branch
 * of a local repository. With GitHub, the same file arrives by pull request.
 */
export function registerApprove(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command('approve')
    .description('Approve a transition waiting at a manual gate: commit groups/approvals/<transition>.yaml')
    .argument('<transition>', 'the transition, <group>@<commit>, as the waiting reason names it')
    .option('--repo <dir>', 'the local Ringmaster repository', ctx.env.repo)
    .option('--branch <name>', 'the tracked branch, which must be checked out', 'main')
    .option('--reason <text>', 'why, for the history')
    .action(async (transition: string, opts: { repo: string; branch: string; reason?: string }) => {
      if (!TRANSITION.test(transition)) {
        throw new ConfigurationError(
          'BadTransitionId',
          `"${transition}" is not a transition id; copy it from the waiting reason, for example globex@e280fb6a80ce`,
        );
      }
      const git = await ctx.openGit(opts.repo);
      const current = (await git.revparse(['--abbrev-ref', 'HEAD'])).trim();
      if (current !== opts.branch) {
        throw new ConfigurationError(
          'WrongBranch',
          `approvals are committed on ${opts.branch}, and ${opts.repo} has ${current} checked out; check out ${opts.branch} first`,
        );
      }
      const path = `groups/approvals/${transition}.yaml`;
      const lines = [
        'apiVersion: ringmaster/v1',
        'kind: Approval',
        `transition: ${transition}`,
        `approvedAt: "${ctx.now().toISOString()}"`,
        ...(opts.reason ? [`description: ${JSON.stringify(opts.reason)}`] : []),
      ];
      await mkdir(join(opts.repo, 'groups', 'approvals'), { recursive: true });
      await writeFile(join(opts.repo, path), `${lines.join('\n')}\n`);
      await git.add([path]);
      await git.commit(`Approve ${transition}`, [path]);
      const sha = (await git.revparse(['HEAD'])).trim();
      ctx.io.out(
        `approved ${transition} in commit ${sha.slice(0, 12)}; the controller cuts over at its next look at ${opts.branch}`,
      );
      setExit(EXIT.ok);
    });
}
