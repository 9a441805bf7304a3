import { type Command, InvalidArgumentError } from 'commander';
import { recoverGroup, type RecoverTo } from '../engine/recover.js';
import { EXIT, type CliContext } from './context.js';
import { type ControllerOptions, addControllerOptions, openController } from './controller-options.js';

/** `ringmaster recover GROUP --to previous|target`: tell the controller how a human resolved an emergency. */
export function registerRecover(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addControllerOptions(program.command('recover'), ctx)
    .description('After fixing a group in emergency by hand, tell the controller which state it is in now')
    .argument('<group>', 'the group in emergency')
    .requiredOption(
      '--to <state>',
      "previous (the state before the transition; the commit stays held) or target (the transition's target)",
      toArg,
    )
    .action(async (group: string, opts: ControllerOptions & { to: RecoverTo }) => {
      const parts = await openController(ctx, { ...opts, logFile: opts.logFile ?? '-', logLevel: 'warn' });
      const next = await recoverGroup(parts.store, parts.engine.journal, group, opts.to, ctx.now()).finally(
        () => parts.close(),
      );
      const held = next.held
        ? `; commit ${next.held.commit.slice(0, 12)} stays held for it until a newer commit changes it`
        : '';
      const runs = next.snapshot
        ? `running ${next.snapshot.release}`
        : 'not deployed (its first deployment failed)';
      ctx.io.out(`group ${group} recovered to ${opts.to}: the controller treats it as ${runs}${held}`);
      setExit(EXIT.ok);
    });
}

function toArg(value: string): RecoverTo {
  if (value !== 'previous' && value !== 'target')
    throw new InvalidArgumentError(`--to must be previous or target, got "${value}"`);
  return value;
}
