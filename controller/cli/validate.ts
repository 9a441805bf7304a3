import type { Command } from 'commander';
import {
  type Diagnostic,
  DiagnosticSink,
  compareDiagnostics,
  formatDiagnostic,
} from '../model/diagnostics.js';
import type { Constellation } from '../model/types.js';
import { checkClusters, parseProvidersFile, readProvidersFile } from '../providers/providers-file.js';
import { EXIT, type CliContext } from './context.js';
import { type SourceOptions, loadFrom } from './source.js';
import { addSourceOptions } from './options.js';

interface ValidateOptions extends SourceOptions {
  rev?: string;
  json?: boolean;
  providers?: string;
}

/** `ringmaster validate`: every schema error and cross-file rule at once; exit 1 on any error. */
export function registerValidate(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addSourceOptions(program.command('validate'), ctx)
    .description('Check every file of the desired state against the schemas and the cross-file rules')
    .option('--rev <rev>', 'validate this commit (read through git) instead of the folder as it is on disk')
    .option('--json', 'print the result as JSON')
    .option(
      '--providers <file>',
      'also check this providers file, and that it reaches every cluster the groups name',
    )
    .action(async (opts: ValidateOptions) => {
      const { source, result } = await loadFrom(ctx, opts, opts.rev);
      const diagnostics = opts.providers
        ? [
            ...result.diagnostics,
            ...(await providerFindings(ctx, opts.providers, result.constellation)),
          ].sort(compareDiagnostics)
        : result.diagnostics;
      const fileCount = result.fileCount + (opts.providers ? 1 : 0);
      const errors = diagnostics.filter((d) => d.severity === 'error');
      const warnings = diagnostics.filter((d) => d.severity === 'warning');
      if (opts.json) {
        ctx.io.out(
          JSON.stringify(
            { ok: errors.length === 0, source: source.label, files: fileCount, errors, warnings },
            null,
            2,
          ),
        );
      } else {
        for (const d of diagnostics) ctx.io.out(formatDiagnostic(d));
        ctx.io.out(validationSummary(source.label, fileCount, errors, warnings));
      }
      setExit(errors.length > 0 ? EXIT.findings : EXIT.ok);
    });
}

/** The findings of the providers file at `path`, and of each group whose cluster it does not reach. */
async function providerFindings(
  ctx: CliContext,
  path: string,
  constellation: Constellation | undefined,
): Promise<readonly Diagnostic[]> {
  const bytes = await readProvidersFile(path);
  const sink = new DiagnosticSink();
  const config = parseProvidersFile(path, bytes, ctx.schemas(), sink);
  if (config && constellation) checkClusters(constellation, config, sink);
  return sink.items;
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
