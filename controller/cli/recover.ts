import { type Command, InvalidArgumentError } from 'commander';
import type { JournalEntry } from '../engine/journal.js';
import { type CutBack, cutBackMove, recoverGroup } from '../engine/recover.js';
import { recoveredStatuses } from '../engine/ring-statuses.js';
import type { AppliedGroup } from '../state/types.js';
import { EXIT, type CliContext } from './context.js';
import {
  type ControllerOptions,
  type ControllerParts,
  addControllerOptions,
  openController,
} from './controller-options.js';

type RecoverArg = 'previous' | 'target' | 'cut-back';

/**
 * `ringmaster recover GROUP --to previous|target|cut-back`: tell the
 * controller how a human resolved an emergency, or (a tenant move that failed
 * past promotion) have it cut the tenants back.
 */
export function registerRecover(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addControllerOptions(program.command('recover'), ctx, { acting: true })
    .description(
      'After fixing a group in emergency by hand, tell the controller which state it is in now; or cut a failed tenant move back',
    )
    .argument('<group>', 'the group in emergency')
    .requiredOption(
      '--to <state>',
      "previous (the state before the transition; the commit stays held), target (the transition's target), or cut-back (a tenant move that failed past promotion: the controller routes the tenants back to their old group and copies what they wrote since back with the release's cutback Job)",
      toArg,
    )
    .action(async (group: string, opts: ControllerOptions & { to: RecoverArg }) => {
      const parts = await openController(ctx, { ...opts, logFile: opts.logFile ?? '-', logLevel: 'warn' });
      try {
        if (opts.to === 'cut-back') {
          const done = await cutBackMove(parts.store, parts.engine, group, ctx.now());
          ctx.io.out(describeCutBack(group, done));
          await report(ctx, parts, done.outcome.entry, 'cut-back');
          setExit(done.outcome.status === 'rolled-back' ? EXIT.ok : EXIT.failure);
          return;
        }
        const next = await recoverGroup(parts.store, parts.engine.journal, group, opts.to, ctx.now());
        ctx.io.out(
          `group ${group} recovered to ${opts.to}: the controller treats it as ${treatedAs(next.group)}`,
        );
        await report(ctx, parts, next.entry, opts.to);
        setExit(EXIT.ok);
      } finally {
        // Folded into the state files, as a run leaves them: sim.json then shows the cut-back as it is.
        await parts.close({ compact: true });
      }
    });
}

/**
 * Writes on the transition's commit what the recovery ended (see
 * recoveredStatuses): the group's status is no longer `error`. A status that
 * cannot be written is said, not fatal: the state is recovered either way.
 */
async function report(
  ctx: CliContext,
  parts: ControllerParts,
  entry: JournalEntry,
  to: RecoverArg,
): Promise<void> {
  try {
    for (const s of recoveredStatuses(entry, to, parts.targetUrl?.(entry.commit, entry.ring)))
      await parts.reporter.report(entry.commit, s);
    await parts.reporter.flush();
  } catch (err) {
    ctx.io.err(
      `ringmaster: the recovery's statuses were not written on ${entry.commit.slice(0, 12)}: ${(err as Error).message}`,
    );
  }
}

/** How the controller sees the group now: what it runs, and the commit held for it. */
function treatedAs(g: AppliedGroup): string {
  const held = g.held
    ? `; commit ${g.held.commit.slice(0, 12)} stays held for it until a newer commit changes it`
    : '';
  const runs = g.snapshot ? `running ${g.snapshot.release}` : 'not deployed (its first deployment failed)';
  return `${runs}${held}`;
}

/** What a cut-back did, or where it stopped. */
function describeCutBack(group: string, c: CutBack): string {
  const who = `tenant${c.tenants.length === 1 ? '' : 's'} ${c.tenants.join(', ')}`;
  if (c.outcome.status === 'rolled-back') {
    const copied = c.copiedBack
      ? `what ${c.tenants.length === 1 ? 'it' : 'they'} wrote on ${c.kept} since promotion was copied back by the release's cutback Job`
      : `nothing was written on ${c.kept} (the registry never served from it)`;
    return `${who} cut back to ${c.to}: routed there again, ${copied}. ${c.kept} is kept: delete it once you have checked the data. The controller treats ${group} as ${treatedAs(c.group)}`;
  }
  if (c.outcome.status === 'emergency')
    return `cutting ${who} back to ${c.to} failed: ${c.outcome.reason ?? 'an undo failed'}; ${group} is in emergency again`;
  return `cutting ${who} back to ${c.to} stopped before its end (${c.outcome.status}); the controller resumes it at its next start, or run this again`;
}

function toArg(value: string): RecoverArg {
  if (value !== 'previous' && value !== 'target' && value !== 'cut-back')
    throw new InvalidArgumentError(`--to must be previous, target or cut-back, got "${value}"`);
  return value;
}
