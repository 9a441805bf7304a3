import type { Command } from 'commander';
import { ConfigurationError } from '../errors.js';
import { EXIT, type CliContext } from './context.js';
import { type ControllerOptions, addControllerOptions, openController } from './controller-options.js';

/**
 * `ringmaster accept-history COMMIT`: follow the branch from COMMIT on, when
 * the controller will not on its own: after a force push, or (with --github) a
 * head refused for a commit without an approved pull request.
 */
export function registerAcceptHistory(
  program: Command,
  ctx: CliContext,
  setExit: (code: number) => void,
): void {
  addControllerOptions(program.command('accept-history'), ctx)
    .description(
      'Let the controller follow the branch from this head on: after a force push, or a head refused for missing approvals',
    )
    .argument('<commit>', 'the new head, as the error status names it')
    .action(async (commit: string, opts: ControllerOptions) => {
      if (opts.rev)
        throw new ConfigurationError(
          'NoMirror',
          '--rev reads a revision directly; accept-history is for the followed branch',
        );
      const parts = await openController(ctx, { ...opts, logFile: opts.logFile ?? '-', logLevel: 'warn' });
      try {
        const fetched = await parts.mirror!.fetch();
        if (!fetched.head.startsWith(commit.toLowerCase())) {
          throw new ConfigurationError(
            'NotTheHead',
            `${commit} is not the head of ${opts.branch} (${fetched.head.slice(0, 12)}); accept the head the error status names`,
          );
        }
        await parts.mirror!.acceptRewrite(fetched.head);
        ctx.io.out(`following ${opts.branch} from ${fetched.head.slice(0, 12)}; the next run applies it`);
      } finally {
        await parts.close();
      }
      setExit(EXIT.ok);
    });
}
