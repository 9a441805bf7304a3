import type { Command } from 'commander';
import { summarizeState } from '../loop/summary.js';
import { emptyAppliedState } from '../state/types.js';
import { EXIT, type CliContext } from './context.js';
import { type ControllerOptions, addControllerOptions, withDesired } from './controller-options.js';
import { headProblemOf } from '../loop/desired-read.js';
import { renderStatus } from './render-status.js';

/** `ringmaster status`: where every ring and group stands, from the state folder and the branch head. */
export function registerStatus(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addControllerOptions(program.command('status'), ctx)
    .description('Show where every ring and group stands: applied and desired release, state and reason')
    .option('--json', 'print the status as JSON (an object with rings, groups and transitions)')
    .action(async (opts: ControllerOptions & { json?: boolean }) => {
      const shown = await withDesired(
        ctx,
        opts,
        async (parts, desired) => {
          // The same summary of the same state as the running controller's /api/status.
          const { status } = summarizeState({
            desired: desired.constellation,
            commit: desired.commit,
            applied: (await parts.store.loadApplied()) ?? emptyAppliedState(desired.constellation.name),
            records: await parts.store.loadRecords(),
            open: await parts.engine.journal.listOpen(),
            now: parts.clock.now(),
            head: headProblemOf(desired),
          });
          ctx.io.out(opts.json ? JSON.stringify(status, null, 2) : renderStatus(status));
          // A head that does not validate is a finding, as validate says of it, though the state is shown.
          return !desired.invalid;
        },
        { followed: true },
      );
      setExit(shown ? EXIT.ok : EXIT.findings);
    });
}
