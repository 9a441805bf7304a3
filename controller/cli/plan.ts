import type { Command } from 'commander';
import { previewRun } from '../plan/admission.js';
import { emptyAppliedState } from '../state/types.js';
import { EXIT, type CliContext } from './context.js';
import { type ControllerOptions, addControllerOptions, withDesired } from './controller-options.js';
import { renderPreview } from './render-status.js';

/** `ringmaster plan`: exactly what `run` would do now, from the same function. */
export function registerPlan(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addControllerOptions(program.command('plan'), ctx)
    .description('Print the transitions the controller would start now, and what waits and why')
    .option('--json', 'print the plan as JSON')
    .action(async (opts: ControllerOptions & { json?: boolean }) => {
      const shown = await withDesired(ctx, opts, async (parts, desired) => {
        const applied = (await parts.store.loadApplied()) ?? emptyAppliedState(desired.constellation.name);
        const busy = new Set((await parts.engine.journal.listOpen()).map((e) => e.group));
        const preview = previewRun(
          desired.constellation,
          desired.commit,
          applied,
          await parts.store.loadRecords(),
          parts.clock.now(),
          busy,
        );
        ctx.io.out(opts.json ? JSON.stringify(preview, null, 2) : ctx.runnable(renderPreview(preview)));
        return true;
      });
      setExit(shown ? EXIT.ok : EXIT.findings);
    });
}
