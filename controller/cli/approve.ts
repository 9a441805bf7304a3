import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { judgeApprovalTarget } from './approve-target.js';
import {
  type FileRequest,
  type FileRequestOptions,
  registerFileRequest,
  requestYaml,
} from './file-request.js';

/**
 * `ringmaster approve TRANSITION`: approves a transition waiting at a manual
 * gate with the file groups/approvals/<transition>.yaml on the tracked branch:
 * committed there in a local repository, or, with --pull-request, through a
 * pull request on GitHub whose merge is the approval (the ring's reviewers
 * review it like any other change of the ring).
 */
export function registerApprove(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  registerFileRequest(program, ctx, setExit, {
    name: 'approve',
    files: 'approvals',
    description: 'Approve a transition waiting at a manual gate: commit groups/approvals/<transition>.yaml',
    argument: [
      '<transition>',
      'the transition, <group>@<commit>, as the waiting reason names it (a unique commit prefix of 7 or more characters will do)',
    ],
    stateHelp:
      "the controller's state folder, to check that the transition waits at its gate (skipped when absent)",
    async judge(given, at, opts) {
      const target = await judgeApprovalTarget(ctx, given, at);
      if (!target.ok) return { kind: 'refused', message: target.message };
      return { kind: 'request', request: approvalOf(target.id, ctx.now(), opts), note: target.note };
    },
  });
}

/** The Approval file of `transition`, and how to speak of it. */
function approvalOf(transition: string, now: Date, opts: FileRequestOptions): FileRequest {
  return {
    id: transition,
    path: `groups/approvals/${transition}.yaml`,
    text: requestYaml('Approval', { id: ['transition', transition], at: 'approvedAt' }, now, opts.reason),
    title: `Approve ${transition}`,
    pullBranch: `ringmaster/approve-${transition.replace('@', '-')}`,
    body: [
      `Approves **${transition}**, which waits at a manual gate before cutover.`,
      '',
      `The group's new stack is up and passed its checks; merging this pull request lets the controller switch the group's traffic to it.`,
    ],
    merging: `approves ${transition}`,
    committed: (sha) =>
      `approved ${transition} in commit ${sha}; the controller cuts over at its next look at ${opts.branch}`,
  };
}
