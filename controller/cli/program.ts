import { Command, CommanderError } from 'commander';
import { isRingmasterError } from '../errors.js';
import { packageVersion } from '../paths.js';
import { EXIT, type CliContext } from './context.js';

type Register = (program: Command, ctx: CliContext, setExit: (code: number) => void) => void;

/**
 * Each command's module, loaded only when it runs or help lists every command:
 * `validate` needs neither the GitHub client nor the controller's logger and
 * metrics, and starts in about half the time without them.
 */
const COMMANDS: ReadonlyMap<string, () => Promise<Register>> = new Map([
  ['validate', async () => (await import('./validate.js')).registerValidate],
  ['show', async () => (await import('./show.js')).registerShow],
  ['check', async () => (await import('./check.js')).registerCheck],
  ['codeowners', async () => (await import('./codeowners.js')).registerCodeowners],
  ['run', async () => (await import('./run.js')).registerRun],
  ['plan', async () => (await import('./plan.js')).registerPlan],
  ['status', async () => (await import('./status.js')).registerStatus],
  ['history', async () => (await import('./history.js')).registerHistory],
  ['approve', async () => (await import('./approve.js')).registerApprove],
  ['retry', async () => (await import('./retry.js')).registerRetry],
  ['promote', async () => (await import('./promote.js')).registerPromote],
  ['recover', async () => (await import('./recover.js')).registerRecover],
  ['accept-history', async () => (await import('./accept-history.js')).registerAcceptHistory],
]);

/** The registrations `argv` needs: its command's only, or every command's for help and for a name we do not know. */
async function registrations(argv: readonly string[]): Promise<Register[]> {
  const named = argv[0] === undefined ? undefined : COMMANDS.get(argv[0]);
  const loaders = named ? [named] : [...COMMANDS.values()];
  const out: Register[] = [];
  // One after the other: the commands share modules.
  for (const load of loaders) out.push(await load());
  return out;
}

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
  for (const register of await registrations(argv)) register(program, ctx, setExit);
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
