/**
 * What `ringmaster run` says on the console, line by line: each transition as
 * it ends or starts waiting, and a head it does not follow.
 */
import type { JournalEntry } from '../engine/journal.js';
import type { DesiredRead } from '../loop/desired-read.js';
import type { HeadProblem } from '../state/status-view.js';
import type { CliContext } from './context.js';

const MARK: Record<string, string> = { succeeded: '✓', 'rolled-back': '↺', emergency: '⚠', waiting: '…' };

/** What the console says of a head that is not followed (once per head and problem). */
export function headMessage(head: HeadProblem, read: DesiredRead): string {
  const short = head.commit.slice(0, 12);
  const followed = read.constellation ? read.commit.slice(0, 12) : undefined;
  const still = followed ? `still following ${followed}` : 'nothing followed yet';
  switch (head.problem) {
    case 'invalid':
      return [
        `✗ commit ${short} does not validate; nothing applied:`,
        ...(read.invalid?.errors ?? read.errors).map((e) => `  ${e}`),
        followed
          ? `  still following ${followed}: what it asks for goes on; fix the head with a new commit`
          : '  nothing followed yet: fix the head with a new commit',
      ].join('\n');
    case 'unjudged':
      return `… ${short} waits: its approvals could not be checked on GitHub; ${still} until they can`;
    case 'refused':
      return `✗ ${(read.refused?.commit ?? head.commit).slice(0, 12)} is not applied: ${head.reason}; merge the change through an approved pull request, or an operator runs ringmaster accept-history ${short}`;
    case 'rewritten':
      return `✗ the branch was rewritten (force push) to ${short}; nothing from it is applied until: ringmaster accept-history ${short}`;
  }
}

/** One transition as it ended, waits or stopped: time, mark, id, status and reason. */
export function progressLine(ctx: CliContext, e: JournalEntry): string {
  const time = ctx.now().toISOString().slice(11, 19);
  const what = ctx.style.paint(e.status, `${MARK[e.status] ?? '·'} ${e.id} ${e.status}`);
  return `${time} ${what}${e.reason ? `: ${e.reason}` : ''}`;
}
