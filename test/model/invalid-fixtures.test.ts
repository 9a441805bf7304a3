/**
 * The corpus of broken repositories: each case under test/fixtures/invalid/
 * is the base constellation (test/fixtures/base) with its overlay applied, and
 * must fail validation with the expected rule at the expected place, both
 * from the folder and from a git commit, without a stack trace.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { commitAll, copyTree, initRepo, makeTempDir, removeDir } from '../helpers/git.js';
import { runRingmaster } from '../helpers/cli.js';

interface FixtureCase {
  description: string;
  rule: string;
  file: string;
  line: number;
  column: number;
  /** Paths of the base to delete. */
  delete?: string[];
  /** Symlinks to create: link path -> target. */
  symlinks?: Record<string, string>;
  /** Files whose content is given as base64 (for bytes YAML cannot hold). */
  bytes?: Record<string, string>;
  /** Extra flags for validate. */
  args?: string[];
}

const corpus = join('test', 'fixtures', 'invalid');
const cases = readdirSync(corpus).sort();

async function buildRepo(name: string, c: FixtureCase): Promise<string> {
  const dir = await makeTempDir();
  await copyTree(join('test', 'fixtures', 'base'), dir);
  if (readdirSync(join(corpus, name)).includes('files')) await copyTree(join(corpus, name, 'files'), dir);
  for (const path of c.delete ?? []) await rm(join(dir, path), { recursive: true });
  for (const [path, b64] of Object.entries(c.bytes ?? {})) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), Buffer.from(b64, 'base64'));
  }
  for (const [link, target] of Object.entries(c.symlinks ?? {})) await symlink(target, join(dir, link));
  return dir;
}

it('holds at least 30 cases', () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
});

describe.each(cases)('invalid repository %s', (name) => {
  const c = parse(readFileSync(join(corpus, name, 'case.yaml'), 'utf8')) as FixtureCase;
  const expected = `${c.file}:${c.line}:${c.column}: `;
  let dir: string;

  beforeAll(async () => {
    dir = await buildRepo(name, c);
  });
  afterAll(async () => {
    await removeDir(dir);
  });

  it(`reports ${c.rule} at ${c.file}:${c.line}:${c.column} from the folder`, async () => {
    const run = await runRingmaster(['validate', '--repo', dir, ...(c.args ?? [])]);
    expect(run.code).toBe(1);
    const line = run.out.split('\n').find((l) => l.startsWith(expected) && l.endsWith(`[${c.rule}]`));
    expect(line).toBeDefined();
    expect(run.out + run.err).not.toMatch(/\n\s+at /);
  });

  it(`reports ${c.rule} at the same place from a git commit`, async () => {
    const git = await initRepo(dir);
    const sha = await commitAll(git, c.description);
    const run = await runRingmaster(['validate', '--repo', dir, '--rev', sha, '--json', ...(c.args ?? [])]);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.out) as {
      errors: { rule: string; file: string; line: number; column: number }[];
    };
    expect(result.errors).toContainEqual(
      expect.objectContaining({ rule: c.rule, file: c.file, line: c.line, column: c.column }),
    );
  });
});
