import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { CODEOWNERS_PATH, renderCodeowners } from '../model/codeowners.js';
import { formatDiagnostic } from '../model/diagnostics.js';
import { EXIT, type CliContext } from './context.js';
import { addSourceOptions } from './options.js';
import { type SourceOptions, loadFrom } from './source.js';

interface CodeownersOptions extends SourceOptions {
  rev?: string;
  write?: boolean;
  check?: boolean;
}

/** `ringmaster codeowners`: prints, writes or checks .github/CODEOWNERS generated from the policy. */
export function registerCodeowners(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addSourceOptions(program.command('codeowners'), ctx)
    .description(`Generate ${CODEOWNERS_PATH} from the reviewers of each ring in the promotion policy`)
    .option('--rev <rev>', 'read this commit instead of the folder as it is on disk')
    .option('--write', `write ${CODEOWNERS_PATH}`)
    .option('--check', `exit 1 when ${CODEOWNERS_PATH} is not what the policy says`)
    .action(async (opts: CodeownersOptions) => {
      const { result } = await loadFrom(ctx, opts, opts.rev);
      if (!result.constellation) {
        for (const d of result.diagnostics) ctx.io.out(formatDiagnostic(d));
        ctx.io.err('ringmaster: the desired state does not validate; fix it before generating CODEOWNERS');
        setExit(EXIT.findings);
        return;
      }
      const text = renderCodeowners(result.constellation);
      const path = join(opts.repo, CODEOWNERS_PATH);
      if (opts.check) {
        const current = await readFile(path, 'utf8').catch(() => '');
        const same = current === text;
        ctx.io.out(
          same
            ? `✓ ${CODEOWNERS_PATH} matches the policy`
            : `✗ ${CODEOWNERS_PATH} is out of date; run \`ringmaster codeowners --write\``,
        );
        setExit(same ? EXIT.ok : EXIT.findings);
      } else if (opts.write) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, text);
        ctx.io.out(`wrote ${CODEOWNERS_PATH}`);
      } else {
        ctx.io.out(text.trimEnd());
      }
    });
}
