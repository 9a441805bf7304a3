/**
 * What a commit of very many small files costs: the file count cap, and
 * `validate --rev` on one folder of tens of thousands of files.
 *
 *   npm run build && node dist/scripts/bench-many-files.js [--groups 100000] [--steps list,validate,controller] [--keep]
 *
 * Generates a constellation of `--groups` one-tenant groups (one file of
 * about 500 bytes each, all in groups/) committed to a new repository, then:
 * - list: lists the commit in this process through the controller's object
 *   reader, without a cap and with the default cap (which refuses a commit
 *   over it after counting its trees);
 * - validate: `validate --rev HEAD` and `validate` of the folder as whole
 *   processes, with --max-files raised above the count so every file is read;
 * - controller: `run --once --rev HEAD` as `npm start` runs node
 *   (--max-semi-space-size=4 --max-old-space-size=384), with the default cap.
 * Whole processes are timed from spawn to exit, peak RSS by /usr/bin/time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { simpleGit } from 'simple-git';
import { TooManyFilesError } from '../controller/model/file-source.js';
import { DEFAULT_PARSE_LIMITS } from '../controller/model/parse.js';
import { GitObjectReader } from '../controller/source/git-object-reader.js';
import { generateRepo } from './generate-constellation.js';

const CLI = fileURLToPath(new URL('../controller/cli/bin.js', import.meta.url));
const TIME = '/usr/bin/time';
const NPM_START_NODE = ['--max-semi-space-size=4', '--max-old-space-size=384'];
const FOLDERS = ['groups', 'policies'];
const STEPS = ['list', 'validate', 'controller'] as const;

interface Measured {
  readonly seconds: number;
  readonly rssMiB?: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lastLine: string;
}

/** Runs node with `args` to its end, under /usr/bin/time when there is one. */
function measure(nodeArgs: readonly string[], args: readonly string[], cwd: string): Promise<Measured> {
  const rssFile = join(cwd, 'rss.txt');
  const timed = existsSync(TIME);
  const [cmd, argv] = timed
    ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...nodeArgs, CLI, ...args]]
    : [process.execPath, [...nodeArgs, CLI, ...args]];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const lines = tail.trim().split('\n');
      const rss = timed && existsSync(rssFile) ? /(\d+)\s*$/.exec(readFileSync(rssFile, 'utf8')) : null;
      resolve({
        seconds: (performance.now() - started) / 1000,
        rssMiB: rss ? Number(rss[1]) / 1024 : undefined,
        code,
        signal,
        lastLine: lines.find((l) => l.includes('[too-many-files]')) ?? lines.at(-1) ?? '',
      });
    });
  });
}

function show(what: string, m: Measured): string {
  const rss = m.rssMiB === undefined ? 'n/a' : `${m.rssMiB.toFixed(0)} MiB`;
  const end = m.signal ? `signal ${m.signal}` : `exit ${m.code}`;
  return `${what}: ${m.seconds.toFixed(1)} s, peak RSS ${rss}, ${end}\n    ${m.lastLine.slice(0, 240)}`;
}

/** Lists HEAD of `repo` in this process through a fresh object reader; the time, or the refusal. */
async function timeListing(repo: string, maxFiles?: number): Promise<string> {
  const commit = (await simpleGit({ baseDir: repo }).revparse(['HEAD'])).trim();
  const reader = new GitObjectReader(repo);
  const started = performance.now();
  try {
    const entries = await reader.list(commit, FOLDERS, { maxFiles });
    return `${entries.length} entries listed in ${((performance.now() - started) / 1000).toFixed(2)} s`;
  } catch (err) {
    if (!(err instanceof TooManyFilesError)) throw err;
    return `refused in ${((performance.now() - started) / 1000).toFixed(2)} s: ${err.message}`;
  } finally {
    await reader.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      groups: { type: 'string', default: '100000' },
      steps: { type: 'string', default: STEPS.join(',') },
      keep: { type: 'boolean', default: false },
    },
  });
  const groups = Number(values.groups);
  if (!Number.isSafeInteger(groups) || groups <= 0)
    throw new Error(`--groups must be a whole number above 0`);
  const steps = values.steps.split(',');
  const unknown = steps.filter((s) => !(STEPS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`unknown steps ${unknown.join(', ')}; known: ${STEPS.join(', ')}`);
  const log = (s: string) => console.log(s);
  const root = mkdtempSync(join(tmpdir(), 'ringmaster-bench-files-'));
  const repo = join(root, 'repo');
  try {
    const g = await generateRepo(repo, groups, groups);
    log(
      `${g.files} files (${(g.bytes / 1048576).toFixed(1)} MiB) in one commit; default cap ${DEFAULT_PARSE_LIMITS.maxFiles}`,
    );
    if (steps.includes('list')) {
      log(`list, no cap: ${await timeListing(repo)}`);
      log(`list, default cap: ${await timeListing(repo, DEFAULT_PARSE_LIMITS.maxFiles)}`);
    }
    const all = ['--max-files', String(g.files)];
    if (steps.includes('validate')) {
      log(
        show(
          'validate --rev HEAD',
          await measure([], ['validate', '--repo', repo, '--rev', 'HEAD', ...all], root),
        ),
      );
      log(show('validate (folder)', await measure([], ['validate', '--repo', repo, ...all], root)));
    }
    if (steps.includes('controller')) {
      const state = join(root, 'state');
      const run = ['run', '--once', '--rev', 'HEAD', '--repo', repo, '--state', state, '--port', '0'];
      log(show('run --once, npm start settings', await measure(NPM_START_NODE, run, root)));
    }
  } finally {
    if (values.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench-many-files: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
