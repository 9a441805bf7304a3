/**
 * A generated constellation (scripts/generate-constellation.ts) committed to a
 * new git repository, for measuring what reading a large commit costs:
 *
 *   npm run build && node dist/scripts/generate-repo.js DIR [--groups N] [--tenants M]
 *
 * Every group is one file in `groups/`, so `--groups 100000` (one tenant per
 * group unless --tenants says otherwise) is a commit of 100,009 tiny files of
 * about 500 bytes, nearly all in one folder. Prints what it wrote.
 */
import { parseArgs } from 'node:util';
import { generateRepo } from './generate-constellation.js';

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new Error(`${flag} must be a whole number above 0, got "${text}"`);
  return n;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { groups: { type: 'string', default: '10000' }, tenants: { type: 'string' } },
  });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new Error('usage: generate-repo DIR [--groups N] [--tenants M]');
  const groups = positiveInt(values.groups, '--groups');
  const tenants = values.tenants === undefined ? groups : positiveInt(values.tenants, '--tenants');
  const g = await generateRepo(dir, groups, tenants);
  console.log(
    `${g.files} files (${(g.bytes / 1048576).toFixed(1)} MiB), ${g.groups} groups, ${g.tenants} tenants, committed in ${dir}`,
  );
}

main().catch((err: unknown) => {
  console.error(`generate-repo: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
