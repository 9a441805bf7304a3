import type { Command } from 'commander';
import { type Diagnostic, formatDiagnostic } from '../model/diagnostics.js';
import { EXIT, type CliContext } from './context.js';
import { type SourceOptions, loadFrom } from './source.js';
import { addSourceOptions } from './options.js';

interface ValidateOptions extends SourceOptions {
  rev?: string;
  json?: boolean;
}

/** `ringmaster validate`: every schema error and cross-file rule at once; exit 1 on any error. */
export function registerValidate(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addSourceOptions(program.command('validate'), ctx)
    .description('Check every file of the desired state against the schemas and the cross-file rules')
    .option('--rev <rev>', 'validate this commit (read through git) instead of the folder as it is on disk')
    .option('--json', 'print the result as JSON')
    .action(async (opts: ValidateOptions) => {
      const { source, result } = await loadFrom(ctx, opts, opts.rev);
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
      if (opts.json) {
        ctx.io.out(
          JSON.stringify(
            { ok: errors.length === 0, source: source.label, files: result.fileCount, errors, warnings },
            null,
            2,
          ),
        );
      } else {
        for (const d of result.diagnostics) ctx.io.out(formatDiagnostic(d));
        ctx.io.out(validationSummary(source.label, result.fileCount, errors, warnings));
      }
      setExit(errors.length > 0 ? EXIT.findings : EXIT.ok);
    });
}

/** The closing line of a validation: counts and where they came from. */
export function validationSummary(
  label: string,
  files: number,
  errors: readonly Diagnostic[],
  warnings: readonly Diagnostic[],
): string {
  const w = warnings.length ? `, ${plural(warnings.length, 'warning')}` : '';
  return errors.length
    ? `✗ ${plural(errors.length, 'error')}${w} in ${plural(files, 'file')} (${label})`
    : `✓ ${plural(files, 'file')} valid${w} (${label})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
