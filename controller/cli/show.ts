import type { Command } from 'commander';
import { formatDiagnostic } from '../model/diagnostics.js';
import { type ConstellationSummary, summarize } from '../model/summary.js';
import { EXIT, type CliContext } from './context.js';
import { addSourceOptions } from './options.js';
import { type SourceOptions, loadFrom } from './source.js';
import { formatTable } from './table.js';
import { validationSummary } from './validate.js';

interface ShowOptions extends SourceOptions {
  rev: string;
  json?: boolean;
}

/** `ringmaster show`: validates a commit and prints its constellation (rings, releases, groups, tenants). */
export function registerShow(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addSourceOptions(program.command('show'), ctx)
    .description(
      'Validate a commit and print its constellation: rings, their releases, groups and tenant counts',
    )
    .option('--rev <rev>', 'the commit to read', 'HEAD')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: ShowOptions) => {
      const { source, result } = await loadFrom(ctx, opts, opts.rev);
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
      if (!result.constellation) {
        for (const d of result.diagnostics) ctx.io.out(formatDiagnostic(d));
        ctx.io.out(validationSummary(source.label, result.fileCount, errors, warnings));
        setExit(EXIT.findings);
        return;
      }
      const summary = summarize(result.constellation);
      if (opts.json) {
        ctx.io.out(JSON.stringify({ source: source.label, ...summary, warnings }, null, 2));
      } else {
        for (const d of warnings) ctx.io.out(formatDiagnostic(d));
        ctx.io.out(renderSummary(summary, source.label));
        ctx.io.out(validationSummary(source.label, result.fileCount, errors, warnings));
      }
      setExit(EXIT.ok);
    });
}

/** The constellation as two tables a person reads at a glance. */
export function renderSummary(s: ConstellationSummary, label: string): string {
  const rings = formatTable(
    ['RING', 'RELEASE', 'LINE', 'SCHEMA', 'GROUPS', 'TENANTS'],
    s.rings.map((r) => [
      r.name,
      r.release,
      r.line,
      String(r.schemaVersion),
      r.suspendedGroups ? `${r.groups} (${r.suspendedGroups} suspended)` : String(r.groups),
      r.testTenants ? `${r.tenants} (${r.testTenants} test)` : String(r.tenants),
    ]),
  );
  const groups = formatTable(
    ['GROUP', 'RING', 'RELEASE', 'TENANTS', 'CLUSTER', 'DATABASE', 'WINDOW'],
    s.groups.map((g) => [
      g.suspended ? `${g.name} (suspended)` : g.name,
      g.ring,
      g.release,
      String(g.tenants),
      g.cluster,
      g.database,
      g.window ?? '-',
    ]),
  );
  const head = `Constellation ${s.name} at ${label}: ${s.rings.length} rings, ${s.groups.length} groups, ${s.tenants} tenants, ${s.releases} releases`;
  return `${head}\n\n${rings}\n\n${groups}\n`;
}
