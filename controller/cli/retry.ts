import type { Command } from 'commander';
import type { CliContext } from './context.js';
import {
  type FileRequest,
  type FileRequestOptions,
  registerFileRequest,
  requestYaml,
} from './file-request.js';
import { type Hold, judgeRetryTarget } from './retry-target.js';

/**
 * `ringmaster retry GROUP`: asks the controller to try a held group again,
 * without changing it, with the file groups/retries/<group>@<commit>.yaml
 * (the commit it is held for, from the controller's state folder) on the
 * tracked branch: committed there in a local repository, or, with
 * --pull-request, through a pull request on GitHub whose merge is the
 * approval. The controller runs the group's transition once more; if it fails
 * again, the group is held for the commit it ran at.
 */
export function registerRetry(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  registerFileRequest(program, ctx, setExit, {
    name: 'retry',
    files: 'retries',
    description:
      'Try a held group again, or measure again a transition waiting on an inconclusive health measurement, without changing the group: commit groups/retries/<group>@<commit>.yaml',
    argument: [
      '<group>',
      'the held or waiting group (ringmaster plan lists what is held, ringmaster status what waits)',
    ],
    stateHelp: "the controller's state folder, where retry reads which commit the group is held for",
    async judge(group, at, opts) {
      const target = await judgeRetryTarget(ctx, group, at);
      if (!target.ok) return { kind: 'refused', message: target.message };
      const { hold } = target;
      if (hold.retryOnBranch)
        return {
          kind: 'done',
          message: `a retry of ${hold.id} is already on ${at.branch} (groups/retries/${hold.id}.yaml); the controller tries ${group} again at its next look`,
        };
      return { kind: 'request', request: retryOf(hold, ctx.now(), opts) };
    },
  });
}

/** The Retry file of `hold`, and how to speak of it. */
function retryOf(hold: Hold, now: Date, opts: FileRequestOptions): FileRequest {
  return {
    id: hold.id,
    path: `groups/retries/${hold.id}.yaml`,
    text: requestYaml('Retry', { id: ['retry', hold.id], at: 'requestedAt' }, now, opts.reason),
    title: `Retry ${hold.id}`,
    pullBranch: `ringmaster/retry-${hold.id.replace('@', '-')}`,
    body:
      hold.kind === 'inconclusive'
        ? [
            `Retries **${hold.id}**: the transition of group ${hold.group} waits for a person on a health measurement without a value (${hold.reason}); the group itself does not change.`,
            '',
            'Merging this pull request lets the controller measure again, once. If the measurement has a value now, the transition goes on (or fails on it); if not, it waits again, for an approval or a newer commit.',
          ]
        : [
            `Retries **${hold.id}**: group ${hold.group} failed to apply commit ${hold.commit.slice(0, 12)} (${hold.reason}) and is held for it; the group itself does not change.`,
            '',
            'Merging this pull request lets the controller try the group again, once. If it fails again, the group goes back to what it ran and is held for the commit the retry ran at, until a newer commit changes the group or another retry is merged.',
          ],
    merging: `retries ${hold.id}`,
    committed: (sha) =>
      `asked for a retry of ${hold.id} in commit ${sha}; the controller ${hold.kind === 'inconclusive' ? 'measures' : 'tries'} ${hold.group} again at its next look at ${opts.branch}`,
  };
}
