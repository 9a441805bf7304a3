/**
 * Benchmark of the controller on a large constellation with the sim provider
 * and no simulated latency, through the same code `ringmaster run` uses
 * (openController, lookAndSettle) on a real git repository:
 *
 *   npm run bench:engine -- [--groups N] [--tenants M] [--parallel P] [--plans K] [--keep] [--json]
 *   npm run bench:engine -- --provider kubernetes [--groups N]   (see bench-kubernetes.ts)
 *
 * 1. create: the first reconcile creates every group (one transition each).
 * 2. promote: a commit moves the "broad" ring (about 45% of the groups) to a
 *    newer release; one reconcile rolls it out. Overhead per transition is the
 *    wall time of that reconcile divided by its transitions: with a provider
 *    that answers at once, everything left is the engine's (journal, applied
 *    state, planning, statuses) plus the sim's own state file.
 * 3. plan: K commits each change one group file; for each, the time from the
 *    new head to the preview `ringmaster plan` prints (ask the remote for its
 *    head, fetch the new commit into the mirror, load what changed, plan, ask
 *    the policy), measured in the process that has loaded the previous commit,
 *    as the running controller has. The controller follows the branch of the
 *    generated repository as `run --repo DIR` does: through its mirror in the
 *    state folder, the repository being the local remote.
 * 4. restart: the controller stops as `run` does; a fresh process with the
 *    same node settings (this script with `--restart`) opens the state, reads
 *    the whole commit and reconciles with nothing to do, as after a stop or a
 *    crash, and reports its time from the spawn (Node's start-up and module
 *    loading included) and its peak memory.
 * Peak memory is the process's maximum resident set size (getrusage) over the
 * create, rollout and plan phases, the life of one controller. The generator
 * writes files one at a time and keeps none. `npm run bench:engine`
 * runs node with the heap settings README recommends for the controller at
 * this size; the report names the settings it ran with, since peak memory
 * depends on them more than on anything else.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { simpleGit } from 'simple-git';
import { openController } from '../controller/cli/controller-options.js';
import { createRunner, lookAndSettle } from '../controller/cli/runner.js';
import { previewRun } from '../controller/plan/admission.js';
import { createContext } from '../controller/main.js';
import { createMetrics } from '../controller/server/metrics.js';
import { benchKubernetes } from './bench-kubernetes.js';
import { RINGS, generate } from './generate-constellation.js';

interface Options {
  groups: number;
  tenants: number;
  parallel: number;
  plans: number;
  keep: boolean;
  json: boolean;
  provider: 'sim' | 'kubernetes';
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      groups: { type: 'string', default: '10000' },
      tenants: { type: 'string', default: '100000' },
      parallel: { type: 'string', default: '50' },
      plans: { type: 'string', default: '7' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      provider: { type: 'string', default: 'sim' },
    },
  });
  if (values.provider !== 'sim' && values.provider !== 'kubernetes')
    throw new Error('--provider must be sim or kubernetes');
  const int = (text: string, flag: string) => {
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`--${flag} must be a whole number above 0`);
    return Number(text);
  };
  const groups = int(values.groups, 'groups');
  if (groups < RINGS.length) throw new Error(`--groups must be at least ${RINGS.length} (one per ring)`);
  return {
    groups,
    tenants: int(values.tenants, 'tenants'),
    parallel: int(values.parallel, 'parallel'),
    plans: int(values.plans, 'plans'),
    keep: values.keep,
    json: values.json,
    provider: values.provider,
  };
}

/** The generated policy, made instant: no bake, no windows, no health periods; the waves stay. */
function instantPolicy(parallel: number): string {
  const rings = RINGS.map(
    (r) => `  ${r.name}: { bake: 0h, approvals: 1, maxParallel: ${parallel}, failureBudget: 1 }`,
  );
  return [
    'apiVersion: ringmaster/v1',
    'kind: PromotionPolicy',
    `order: [${RINGS.map((r) => r.name).join(', ')}]`,
    'rings:',
    ...rings,
    'health: { gracePeriod: 0m, observe: 0m }',
    '',
  ].join('\n');
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const mib = (bytes: number) => bytes / 1048576;

/** Resident and heap memory now, and the peak so far, for the progress lines. */
function memory(): string {
  const { rss, heapUsed } = process.memoryUsage();
  const peak = process.resourceUsage().maxRSS / 1024;
  return `RSS ${mib(rss).toFixed(0)} MiB (peak ${peak.toFixed(0)}), heap ${mib(heapUsed).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = readOptions(argv);
  if (o.provider === 'kubernetes') {
    // At 1,000 groups unless told: every call crosses HTTP.
    const groups = argv.includes('--groups') ? o.groups : 1000;
    const tenants = argv.includes('--tenants') ? o.tenants : groups * 10;
    return benchKubernetes({ groups, tenants, policy: instantPolicy(o.parallel), json: o.json });
  }
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const root = mkdtempSync(join(tmpdir(), 'ringmaster-bench-engine-'));
  const repo = join(root, 'repo');
  const state = join(root, 'state');
  let running: { close(): Promise<void> } | undefined;
  try {
    log(`generating ${o.groups} groups, ${o.tenants} tenants in ${repo} ...`);
    const gen = generate(repo, o.groups, o.tenants);
    writeFileSync(join(repo, 'policies', 'promotion.yaml'), instantPolicy(o.parallel));
    const git = simpleGit({ baseDir: repo });
    await git.init(['--initial-branch=main']);
    await git.addConfig('user.email', 'bench@example.com').addConfig('user.name', 'bench');
    await git.add('.').commit('generated constellation');

    const ctx = createContext(
      { out: () => {}, err: (s) => log(s) },
      { ...process.env, RINGMASTER_REPO: repo },
    );
    const opts = {
      repo,
      branch: 'main',
      state,
      simLatency: 0,
      simSpeed: 1,
      logFile: join(state, 'ringmaster.log'),
      logLevel: 'warn',
    };
    log(`generated; ${memory()}`);
    const parts = await openController(ctx, opts);
    running = parts;
    const runner = createRunner(ctx, parts, {
      workers: 64,
      metrics: createMetrics({ now: ctx.now }).metrics,
    });

    const tick = async (label: string) => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const report = await lookAndSettle(runner);
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      if (!report.followed || report.head) throw new Error(`${label}: the commit did not validate`);
      const failed = report.ran.filter((e) => e.status !== 'succeeded');
      if (failed.length) throw new Error(`${label}: ${failed.length} transitions did not succeed`);
      log(`  ${label}: ${report.ran.length} transitions in ${(ms / 1000).toFixed(1)} s; ${memory()}`);
      const n = report.ran.length;
      // CPU time varies less than wall time from run to run (the disk's syncs, the machine's other work).
      return {
        transitions: n,
        ms,
        perTransitionMs: ms / n,
        cpuPerTransitionMs: (used.user + used.system) / 1000 / n,
      };
    };

    log('create: first reconcile ...');
    const create = await tick('create');

    const ringsPath = join(repo, 'groups', 'rings.yaml');
    const rings = readFileSync(ringsPath, 'utf8');
    const promoted = rings.replace(/(name: broad\n\s+release: )"[^"]+"/, '$1"2026.11.0"');
    if (promoted === rings) throw new Error('could not find the broad ring in rings.yaml');
    writeFileSync(ringsPath, promoted);
    await git.add('.').commit('promote 2026.11.0 to broad');
    log('promote: broad to 2026.11.0 ...');
    const promote = await tick('promote');

    // The time from a new head to the preview, as a controller that loaded the previous commit sees it.
    const planMs: number[] = [];
    const readMs: number[] = [];
    // The fetch is git's own work (see the README): timed apart, so the figure without it can be compared
    // with the plans of a controller reading a local revision.
    const fetchMs: number[] = [];
    const withoutFetchMs: number[] = [];
    const mirror = parts.mirror;
    if (!mirror) throw new Error('the bench follows a branch, so the controller has a mirror');
    const fetch = mirror.fetch.bind(mirror);
    mirror.fetch = async () => {
      const started = performance.now();
      const fetched = await fetch();
      fetchMs.push(performance.now() - started);
      return fetched;
    };
    for (let i = 0; i < o.plans; i++) {
      const file = join(repo, 'groups', `smb-broad-${String(i + 1).padStart(5, '0')}.yaml`);
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          'tenants:\n',
          `tenants:\n  - { id: bench-${i}, host: bench-${i}.app.example.com, language: en-GB, utcOffset: "+00:00" }\n`,
        ),
      );
      await git.add('.').commit(`one more tenant (${i})`);
      fetchMs.length = 0;
      const started = performance.now();
      const desired = await parts.readDesired();
      readMs.push(performance.now() - started);
      const preview = previewRun(
        desired.constellation!,
        desired.commit,
        (await parts.store.loadApplied())!,
        await parts.store.loadRecords(),
        ctx.now(),
      );
      planMs.push(performance.now() - started);
      withoutFetchMs.push(planMs.at(-1)! - fetchMs.reduce((a, b) => a + b, 0));
      if (preview.admitted.length !== 1)
        throw new Error(`plan ${i}: expected 1 transition, got ${preview.admitted.length}`);
      await lookAndSettle(runner);
    }
    log(
      `plan after a one-file change: median ${median(planMs).toFixed(0)} ms of ${o.plans} (without the fetch ${median(withoutFetchMs).toFixed(0)}); ${memory()}`,
    );

    const controllerPeak = process.resourceUsage().maxRSS / 1024;
    // Stopped as `run` stops, then started again in a fresh process with the same node settings.
    running = undefined;
    await parts.close({ compact: true });
    log('restart: a fresh controller reads the whole commit ...');
    const restart = restartInChild(opts);
    log(
      `  restart: ${(restart.totalMs / 1000).toFixed(1)} s from the spawn (start-up ${restart.startMs.toFixed(0)} ms, opening ${restart.openMs.toFixed(0)} ms, commit read in ${(restart.loadMs / 1000).toFixed(1)} s, reconcile ${restart.tickMs.toFixed(0)} ms); peak RSS ${restart.peakRssMiB.toFixed(0)} MiB`,
    );

    const result = {
      machine: `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${mib(totalmem()).toFixed(0)} MiB, Node ${process.version}`,
      // The heap settings the figures hold for: they decide how far V8 lets the heap grow between collections.
      nodeOptions: [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter(Boolean),
      heapLimitMiB: mib(getHeapStatistics().heap_size_limit),
      groups: o.groups,
      tenants: o.tenants,
      files: gen.files,
      maxParallel: o.parallel,
      create,
      promote,
      planAfterOneFileMs: {
        median: median(planMs),
        min: Math.min(...planMs),
        max: Math.max(...planMs),
        runs: o.plans,
        readMedian: median(readMs),
        withoutFetchMedian: median(withoutFetchMs),
      },
      restart,
      peakRssMiB: controllerPeak,
    };
    if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(report(result));
  } finally {
    await running?.close();
    if (o.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

function report(r: {
  machine: string;
  nodeOptions: string[];
  heapLimitMiB: number;
  groups: number;
  tenants: number;
  maxParallel: number;
  create: Phase;
  promote: Phase;
  planAfterOneFileMs: {
    median: number;
    min: number;
    max: number;
    runs: number;
    readMedian: number;
    withoutFetchMedian: number;
  };
  restart: Restart;
  peakRssMiB: number;
}): string {
  const row = (what: string, figure: string, goal: string) => `| ${what} | ${figure} | ${goal} |`;
  return [
    `${r.groups} groups, ${r.tenants} tenants, maxParallel ${r.maxParallel}; ${r.machine}`,
    `node ${r.nodeOptions.join(' ') || '(no options)'}; heap limit ${r.heapLimitMiB.toFixed(0)} MiB`,
    '',
    '| Measure | Figure | Goal |',
    '| --- | --- | --- |',
    row(
      'Plan after a one-file change (median)',
      `${r.planAfterOneFileMs.median.toFixed(0)} ms (min ${r.planAfterOneFileMs.min.toFixed(0)}, max ${r.planAfterOneFileMs.max.toFixed(0)}, ${r.planAfterOneFileMs.runs} runs; reading the commit ${r.planAfterOneFileMs.readMedian.toFixed(0)} ms of it, fetch included; without the fetch ${r.planAfterOneFileMs.withoutFetchMedian.toFixed(0)} ms)`,
      'under 100 ms',
    ),
    row(
      'Ring rollout (promote broad)',
      `${r.promote.transitions} transitions in ${(r.promote.ms / 1000).toFixed(1)} s: ${r.promote.perTransitionMs.toFixed(2)} ms each (CPU ${r.promote.cpuPerTransitionMs.toFixed(2)} ms each)`,
      'under 2 ms each',
    ),
    row(
      'First reconcile (create every group)',
      `${r.create.transitions} transitions in ${(r.create.ms / 1000).toFixed(1)} s: ${r.create.perTransitionMs.toFixed(2)} ms each (CPU ${r.create.cpuPerTransitionMs.toFixed(2)} ms each)`,
      '',
    ),
    row('Peak memory (RSS) of the controller', `${r.peakRssMiB.toFixed(0)} MiB`, 'under 300 MiB'),
    row(
      'Restart (a fresh process from its spawn: start, read the whole commit, reconcile, nothing to do)',
      `${(r.restart.totalMs / 1000).toFixed(1)} s (Node and modules ${(r.restart.startMs / 1000).toFixed(2)} s, reading the commit ${(r.restart.loadMs / 1000).toFixed(1)} s); peak RSS ${r.restart.peakRssMiB.toFixed(0)} MiB`,
      '',
    ),
    '',
  ].join('\n');
}

/** What the restart measured, in the child that restarted. */
/** One phase's transitions and times, wall and this process's CPU. */
interface Phase {
  transitions: number;
  ms: number;
  perTransitionMs: number;
  cpuPerTransitionMs: number;
}

interface Restart {
  /** From the spawn to the end of the reconcile. */
  readonly totalMs: number;
  /** From the spawn to the first line of this script (Node's start-up, module loading). */
  readonly startMs: number;
  /** Opening the controller: state, mirror, logs. */
  readonly openMs: number;
  readonly loadMs: number;
  readonly tickMs: number;
  readonly peakRssMiB: number;
}

type ControllerRunOptions = Parameters<typeof openController>[1];

/** Runs this script with `--restart` in a child process with the same node settings, and reads its report. */
function restartInChild(opts: ControllerRunOptions): Restart {
  const child = spawnSync(
    process.execPath,
    // The clock starts at the spawn: Node's start-up and module loading are part of a restart.
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--restart',
      JSON.stringify(opts),
      String(Date.now()),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (child.status !== 0)
    throw new Error(`restart: the child failed: ${child.stderr.trim() || child.signal}`);
  return JSON.parse(child.stdout) as Restart;
}

/** The child's side: a controller started on existing state, as after a stop or a crash. */
async function restartHere(opts: ControllerRunOptions, spawnedAt: number): Promise<void> {
  const entered = Date.now();
  const opening = performance.now();
  const ctx = createContext({ out: () => {}, err: (s) => process.stderr.write(`${s}\n`) }, process.env);
  const parts = await openController(ctx, opts);
  try {
    const started = performance.now();
    await parts.readDesired();
    const loaded = performance.now();
    const runner = createRunner(ctx, parts, {
      workers: 64,
      metrics: createMetrics({ now: ctx.now }).metrics,
    });
    const report = await lookAndSettle(runner);
    if (!report.followed || report.head) throw new Error('the commit did not validate');
    if (report.ran.length) throw new Error(`expected nothing to do, ran ${report.ran.length} transitions`);
    const restart: Restart = {
      totalMs: Date.now() - spawnedAt,
      startMs: entered - spawnedAt,
      openMs: started - opening,
      loadMs: loaded - started,
      tickMs: performance.now() - loaded,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(JSON.stringify(restart));
  } finally {
    await parts.close({ compact: true });
  }
}

const restartAt = process.argv.indexOf('--restart');
(restartAt > 0
  ? restartHere(
      JSON.parse(process.argv[restartAt + 1]!) as ControllerRunOptions,
      Number(process.argv[restartAt + 2]),
    )
  : main()
).catch((err: unknown) => {
  process.stderr.write(`bench-engine: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
