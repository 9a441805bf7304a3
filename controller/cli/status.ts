import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { positiveIntArg } from './options.js';
import { summarizeState } from '../loop/summary.js';
import { emptyAppliedState } from '../state/types.js';
import { EXIT, type CliContext } from './context.js';
import {
  type ControllerOptions,
  type ControllerParts,
  addControllerOptions,
  openController,
  withDesired,
} from './controller-options.js';
import { type DesiredRead, headProblemOf, invalidHeadOf } from '../loop/desired-read.js';
import type { Constellation } from '../model/types.js';
import { renderStatus } from './render-status.js';
import { whenStopSignal } from './stop-signal.js';

interface StatusOptions extends ControllerOptions {
  json?: boolean;
  watch?: boolean;
  interval: number;
}

/** Clears a terminal and puts the cursor top left: each look replaces the last. */
const CLEAR = '\u001b[H\u001b[2J';

/** `ringmaster status`: where every ring and group stands, from the state folder and the branch head. */
export function registerStatus(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addControllerOptions(program.command('status'), ctx)
    .description('Show where every ring and group stands: applied and desired release, state and reason')
    .option('--json', 'print the status as JSON (an object with rings, groups and transitions)')
    .option('--watch', 'show it again every --interval seconds until Ctrl-C (on a terminal, in place)')
    .option('--interval <seconds>', 'seconds between two looks with --watch', positiveIntArg('--interval'), 2)
    .action(async (opts: StatusOptions) => {
      if (opts.watch) return setExit(await watch(ctx, opts));
      const shown = await withDesired(
        ctx,
        opts,
        async (parts, desired) => {
          ctx.io.out(render(ctx, opts, await statusOf(parts, desired)));
          // A head that does not validate is a finding, as validate says of it, though the state is shown.
          return !desired.invalid;
        },
        { followed: true },
      );
      setExit(shown ? EXIT.ok : EXIT.findings);
    });
}

/** The same summary of the same state as the running controller's /api/status. */
async function statusOf(parts: ControllerParts, desired: DesiredRead & { constellation: Constellation }) {
  return summarizeState({
    desired: desired.constellation,
    commit: desired.commit,
    applied: (await parts.store.loadApplied()) ?? emptyAppliedState(desired.constellation.name),
    records: await parts.store.loadRecords(),
    open: await parts.engine.journal.listOpen(),
    now: parts.clock.now(),
    head: headProblemOf(desired),
  }).status;
}

function render(ctx: CliContext, opts: StatusOptions, status: Awaited<ReturnType<typeof statusOf>>): string {
  return opts.json ? JSON.stringify(status, null, 2) : ctx.runnable(renderStatus(status, ctx.style));
}

/**
 * `status --watch`: reads the branch and the state folder every interval and
 * shows the status again (in place on a terminal, one after the other when
 * piped, with the time of each look) until SIGINT or SIGTERM. The parts stay
 * open between looks: one mirror, one git reader.
 */
async function watch(ctx: CliContext, opts: StatusOptions): Promise<number> {
  const parts = await openController(ctx, { ...opts, logFile: opts.logFile ?? '-', logLevel: 'warn' });
  const stop = new AbortController();
  const stopped = whenStopSignal(() => stop.abort());
  try {
    while (!stop.signal.aborted) {
      const desired = await parts.readDesired();
      const invalid = invalidHeadOf(desired);
      const at = `${ctx.now().toISOString().slice(0, 19).replace('T', ' ')}Z`;
      const lines = [
        ...(invalid ? [...invalid.errors, `✗ commit ${invalid.commit.slice(0, 12)} does not validate`] : []),
        ...(desired.constellation
          ? [render(ctx, opts, await statusOf(parts, { ...desired, constellation: desired.constellation }))]
          : []),
      ];
      const header = `${at} · every ${opts.interval} s · Ctrl-C to stop`;
      ctx.io.out(
        ctx.style.rich ? `${CLEAR}${header}\n\n${lines.join('\n')}` : `${header}\n${lines.join('\n')}\n`,
      );
      // Ctrl-C during the wait ends it at once.
      await sleep(opts.interval * 1000, undefined, { signal: stop.signal }).catch(() => {});
    }
    return EXIT.ok;
  } finally {
    stopped.remove();
    await parts.close();
  }
}
