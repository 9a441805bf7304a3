import type { Command } from 'commander';
import { parseInstant } from '../config.js';
import { formatDiagnostic } from '../model/diagnostics.js';
import { buildPlanReport } from '../plan/report.js';
import { renderPlan } from '../plan/render.js';
import { EXIT, type CliContext } from './context.js';
import { addSourceOptions } from './options.js';
import { type SourceOptions, loadFrom } from './source.js';

interface CheckOptions extends SourceOptions {
  base: string;
  head: string;
  now?: string;
  json?: boolean;
}

/** `ringmaster check`: what a pull request would do, and whether the policy lets it. */
export function registerCheck(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addSourceOptions(program.command('check'), ctx)
    .description(
      'Explain what going from one commit to another does, with a verdict per policy rule; exit 1 when policy forbids it',
    )
    .requiredOption('--base <rev>', 'the commit the change starts from (the pull request base)')
    .requiredOption('--head <rev>', 'the commit the change ends at (the pull request head)')
    .option('--now <time>', 'judge freeze windows at this time instead of now (ISO 8601)')
    .option('--json', 'print the plan and verdicts as JSON')
    .action(async (opts: CheckOptions) => {
      const now = opts.now ? parseInstant(opts.now, '--now') : ctx.now();
      const base = await loadFrom(ctx, opts, opts.base);
      const head = await loadFrom(ctx, opts, opts.head);
      if (!head.result.constellation) {
        for (const d of head.result.diagnostics) ctx.io.out(formatDiagnostic(d));
        ctx.io.out(`✗ ${opts.head} (${head.source.label}) does not validate; fix the errors above first`);
        setExit(EXIT.findings);
        return;
      }
      if (!base.result.constellation) {
        // A broken base (for example after Ringmaster's own rules grew stricter) must not block the
        // pull request that repairs it; say plainly that nothing could be compared.
        ctx.io.out(
          `⚠️ base ${opts.base} (${base.source.label}) does not validate, so no promotion can be judged against it.`,
        );
        ctx.io.out(`✓ head ${opts.head} (${head.source.label}) validates; review this change as a repair.`);
        setExit(EXIT.ok);
        return;
      }
      const report = buildPlanReport(
        base.result.constellation,
        head.result.constellation,
        { base: base.source.label, head: head.source.label },
        now,
      );
      ctx.io.out(opts.json ? JSON.stringify(report, null, 2) : renderPlan(report));
      setExit(report.allowed ? EXIT.ok : EXIT.findings);
    });
}
