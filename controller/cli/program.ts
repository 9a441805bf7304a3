import { Command, CommanderError } from 'commander';
import { isRingmasterError } from '../errors.js';
import { packageVersion } from '../paths.js';
import { EXIT, type CliContext } from './context.js';
import { registerCheck } from './check.js';
import { registerCodeowners } from './codeowners.js';
import { registerShow } from './show.js';
import { registerValidate } from './validate.js';
import { registerPlan } from './plan.js';
import { registerApprove } from './approve.js';
import { registerRetry } from './retry.js';
import { registerRecover } from './recover.js';
import { registerAcceptHistory } from './accept-history.js';
import { registerRun } from './run.js';
import { registerStatus } from './status.js';
import { registerPromote } from './promote.js';
import { registerHistory } from './history.js';

/**
 * Runs the `ringmaster` command line with `argv` (without node and script)
 * and returns the exit code. Our own errors print their message; anything
 * else is a bug and prints a short report, never a raw stack to the user.
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  let exitCode: number = EXIT.ok;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command('ringmaster')
    .description('GitOps rollouts of one release line through rings of tenant groups')
    .version(packageVersion(), '--version', 'print the version of ringmaster')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.io.out(s.trimEnd()), writeErr: (s) => ctx.io.err(s.trimEnd()) });
  registerValidate(program, ctx, setExit);
  registerShow(program, ctx, setExit);
  registerCheck(program, ctx, setExit);
  registerCodeowners(program, ctx, setExit);
  registerRun(program, ctx, setExit);
  registerPlan(program, ctx, setExit);
  registerStatus(program, ctx, setExit);
  registerHistory(program, ctx, setExit);
  registerApprove(program, ctx, setExit);
  registerRetry(program, ctx, setExit);
  registerPromote(program, ctx, setExit);
  registerRecover(program, ctx, setExit);
  registerAcceptHistory(program, ctx, setExit);
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.failure;
    if (isRingmasterError(err)) {
      ctx.io.err(`ringmaster: ${err.message}`);
      return EXIT.failure;
    }
    ctx.io.err(`ringmaster: unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
    ctx.io.err('This is a bug in Ringmaster; please report it with the command you ran.');
    return EXIT.failure;
  }
}
