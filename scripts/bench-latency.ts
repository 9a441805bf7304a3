/**
 * Benchmark of how soon a commit shows on the branch's statuses, on the
 * embedded default (this repository's constellation, the sim provider, statuses
 * as git notes), with and without the webhook:
 *
 *   npm run bench:latency -- [--runs N] [--keep] [--json]
 *
 * A folder repository holding this repository's `groups/` and `policies/` (as
 * committed at HEAD; the year-end freeze is dropped so that the rehearsal's
 * clock, 10,000 times faster, never walks into it) is followed by
 * `ringmaster run --sim-speed 10000`, a separate process started as a user
 * starts it. Each run commits one more tenant to the canary ring's group and
 * takes two times from the moment `git commit` returns:
 * - first status: the commit's first line in `refs/notes/ringmaster`;
 * - success: the canary ring's status of that commit turns `success` (the
 *   tenant is added: the transition ran, health periods included, at speed
 *   10,000).
 * With the webhook, a signed push delivery (as GitHub sends it after a push) is
 * posted to `/webhook/github` right after the commit; GitHub's own delay before
 * it sends is not in the figure. Without it, the controller finds the commit at
 * its next poll (every 15 seconds by default), so the figures there are the
 * poll's wait plus the same work.
 *
 * The notes ref is read as a file every 5 ms (no process); when it moves, one
 * `git notes show` reads the note. Times are medians, minimum and maximum.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseStatusNote } from '../controller/status/note-format.js';

const CLI = fileURLToPath(new URL('../controller/cli/bin.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The group the runs add tenants to, and its ring. */
const GROUP_FILE = join('groups', 'internal.yaml');
const RING = 'canary';
const CONTEXT = `ringmaster/${RING}`;
/** How long one run may take before the bench gives up: beyond a poll interval and the rollout. */
const RUN_LIMIT_MS = 60_000;

interface Options {
  runs: number;
  keep: boolean;
  json: boolean;
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      runs: { type: 'string', default: '7' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!/^\d+$/.test(values.runs) || runs < 1) throw new Error(`--runs must be a whole number above 0`);
  return { runs, keep: values.keep, json: values.json };
}

const log = (s: string) => process.stderr.write(`${s}\n`);

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
}

/** The origin: this repository's constellation at HEAD in a repository of its own, without the freeze. */
function makeOrigin(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['-C', ROOT, 'archive', 'HEAD', 'groups', 'policies']);
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  const policy = join(dir, 'policies', 'promotion.yaml');
  const text = readFileSync(policy, 'utf8');
  const unfrozen = text.replace(/^freeze:\n(?:\s+-.*\n)+/m, '');
  if (unfrozen === text) throw new Error('could not find the freeze in policies/promotion.yaml');
  writeFileSync(policy, unfrozen);
  git(dir, 'init', '-q', '--initial-branch=main');
  git(dir, 'add', '.');
  commit(dir, 'the embedded default');
}

function commit(dir: string, message: string): void {
  execFileSync(
    'git',
    ['-C', dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', message],
    { stdio: 'ignore' },
  );
}

/** The notes ref as git stores it: a loose ref file, or a line of packed-refs. */
function notesRef(dir: string): string | undefined {
  const loose = join(dir, '.git', 'refs', 'notes', 'ringmaster');
  if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
  const packed = join(dir, '.git', 'packed-refs');
  if (!existsSync(packed)) return undefined;
  return /^([0-9a-f]{40}) refs\/notes\/ringmaster$/m.exec(readFileSync(packed, 'utf8'))?.[1];
}

/** The latest state of the canary ring's status of `commit`, with whether the note holds any status. */
function noteOf(dir: string, commit: string): { any: boolean; state?: string } {
  let text: string;
  try {
    text = execFileSync('git', ['-C', dir, 'notes', '--ref', 'ringmaster', 'show', commit], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return { any: false };
  }
  const lines = parseStatusNote(text, commit);
  const ring = lines.filter((s) => s.context === CONTEXT).at(-1);
  return { any: lines.length > 0, state: ring?.state };
}

interface Times {
  firstMs: number;
  successMs: number;
}

/** Waits for `commit`'s first status and the canary ring's success, timing both from `t0`. */
async function watch(dir: string, commit: string, t0: number): Promise<Times> {
  let seen = notesRef(dir);
  let firstMs: number | undefined;
  for (;;) {
    const now = performance.now();
    if (now - t0 > RUN_LIMIT_MS)
      throw new Error(`commit ${commit.slice(0, 12)}: no success within ${RUN_LIMIT_MS / 1000} s`);
    const ref = notesRef(dir);
    if (ref !== seen) {
      seen = ref;
      const note = noteOf(dir, commit);
      if (note.any) firstMs ??= now - t0;
      if (note.state === 'success') return { firstMs: firstMs!, successMs: now - t0 };
      if (note.state === 'failure' || note.state === 'error')
        throw new Error(`commit ${commit.slice(0, 12)}: the ${RING} ring's status is ${note.state}`);
    }
    await sleep(5);
  }
}

/** A push delivery for `commit`, signed with `secret` as GitHub signs it. */
async function deliverPush(url: string, secret: string, commit: string): Promise<void> {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: commit });
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const res = await fetch(new URL('/webhook/github', url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signature,
    },
    body,
  });
  if (res.status !== 200) throw new Error(`the webhook answered ${res.status}: ${await res.text()}`);
}

/** Starts `ringmaster run` on `origin`; resolves with its status page's address once it serves. */
async function startController(
  origin: string,
  state: string,
  secret: string | undefined,
): Promise<{ child: ChildProcess; url: string }> {
  const env = { ...process.env };
  delete env.GITHUB_WEBHOOK_SECRET;
  if (secret) env.GITHUB_WEBHOOK_SECRET = secret;
  const child = spawn(
    process.execPath,
    [CLI, 'run', '--repo', origin, '--state', state, '--sim-speed', '10000', '--port', '0'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Status page (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the controller exited (${code}) before serving: ${err}`)));
  });
  // The rest of its output is not read; keep the pipe flowing.
  child.stdout!.resume();
  return { child, url };
}

async function stopController(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Series {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

const series = (xs: number[]): Series => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
  runs: xs,
});

async function measure(
  root: string,
  o: Options,
  webhook: boolean,
): Promise<{ first: Series; success: Series }> {
  const mode = webhook ? 'webhook' : 'poll';
  const origin = join(root, `origin-${mode}`);
  makeOrigin(origin);
  const secret = webhook ? randomBytes(32).toString('hex') : undefined;
  const { child, url } = await startController(origin, join(root, `state-${mode}`), secret);
  try {
    // The first commit rolls out everything; the runs start once its canary ring is done.
    await watch(origin, git(origin, 'rev-parse', 'HEAD'), performance.now());
    const first: number[] = [];
    const success: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const file = join(origin, GROUP_FILE);
      const text = readFileSync(file, 'utf8');
      const tenant = `  - { id: bench-${i}, host: bench-${i}.app.example.com, language: en-US, utcOffset: "-05:00" }\n`;
      writeFileSync(file, text.replace('tenants:\n', `tenants:\n${tenant}`));
      git(origin, 'add', GROUP_FILE);
      commit(origin, `one more tenant (${i})`);
      const t0 = performance.now();
      const sha = git(origin, 'rev-parse', 'HEAD');
      const delivered = webhook ? deliverPush(url, secret!, sha) : Promise.resolve();
      const times = await watch(origin, sha, t0);
      await delivered;
      first.push(times.firstMs);
      success.push(times.successMs);
      log(
        `  ${mode} ${i + 1}/${o.runs}: first status ${times.firstMs.toFixed(0)} ms, success ${times.successMs.toFixed(0)} ms`,
      );
    }
    return { first: series(first), success: series(success) };
  } finally {
    await stopController(child);
  }
}

async function main(): Promise<void> {
  const o = readOptions(process.argv.slice(2));
  const root = mkdtempSync(join(tmpdir(), 'ringmaster-bench-latency-'));
  try {
    const load = loadavg()[0]!;
    log('with the webhook ...');
    const webhook = await measure(root, o, true);
    log('polling only ...');
    const poll = await measure(root, o, false);
    const result = {
      machine: `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 1048576).toFixed(0)} MiB, Node ${process.version}`,
      loadBefore: load,
      runs: o.runs,
      webhook,
      poll,
    };
    if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(report(result));
  } finally {
    if (o.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

function report(r: {
  machine: string;
  loadBefore: number;
  runs: number;
  webhook: { first: Series; success: Series };
  poll: { first: Series; success: Series };
}): string {
  const cell = (s: Series) => `${s.median.toFixed(0)} ms (${s.min.toFixed(0)} to ${s.max.toFixed(0)})`;
  return [
    `${r.machine}; load ${r.loadBefore.toFixed(2)} before; ${r.runs} commits each`,
    '',
    '| Commit to | With the webhook | Polling every 15 s | Goal |',
    '| --- | --- | --- | --- |',
    `| first status (git note) | ${cell(r.webhook.first)} | ${cell(r.poll.first)} | under 1 s with the webhook |`,
    `| ${RING} ring's success | ${cell(r.webhook.success)} | ${cell(r.poll.success)} | |`,
    '',
  ].join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-latency: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
