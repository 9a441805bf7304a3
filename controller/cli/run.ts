import type { Command } from 'commander';
import { validate as isValidCron } from 'node-cron';
import { ConfigurationError, isTransient } from '../errors.js';
import { checkGitHubAccess } from '../github/access.js';
import { EXIT, type CliContext } from './context.js';
import {
  type ControllerOptions,
  type ControllerParts,
  addControllerOptions,
  openController,
} from './controller-options.js';
import { watchHeap } from '../server/heap-watch.js';
import { whenStopSignal } from './stop-signal.js';
import { TickLoop } from './tick-loop.js';
import { DEFAULT_KEEP_HISTORY_DAYS, HistoryRetention } from '../loop/history-retention.js';
import { startServer } from '../server/http.js';
import { historyItem } from '../state/history-view.js';
import { createGitHubWebhook } from '../server/webhook.js';
import { createMetrics } from '../server/metrics.js';
import type { HeadProblem } from '../state/status-view.js';
import { InvalidArgumentError } from 'commander';
import { type Runner, createRunner, lookAndSettle, printSummary } from './runner.js';
import { positiveIntArg } from './options.js';

function portArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError(`--port must be a port number from 0 to 65535, got "${value}"`);
  return n;
}

interface RunOptions extends ControllerOptions {
  once?: boolean;
  poll: string;
  host: string;
  port: number;
  workers: number;
  keepHistory: number;
}

/** Transitions under way at most at once by default: sized for one machine (each mostly waits on a provider). */
const DEFAULT_WORKERS = 32;

/** `ringmaster run`: reconcile the groups towards the branch head, once or on a schedule. */
export function registerRun(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addControllerOptions(program.command('run'), ctx, { running: true })
    .description(
      'Run the controller: follow the branch and move every group to the state its newest commit asks for',
    )
    .option(
      '--once',
      'look once, wait until every transition it started has finished, failed or is waiting, then exit',
    )
    .option('--poll <cron>', 'when to look at the branch (cron with seconds)', '*/15 * * * * *')
    .option(
      '--workers <n>',
      "transitions under way at most at once, over all rings (each ring's maxParallel still applies)",
      positiveIntArg('--workers'),
      DEFAULT_WORKERS,
    )
    .option(
      '--keep-history <days>',
      'days of history kept: ended transitions and commits seen (a group always keeps its newest)',
      positiveIntArg('--keep-history'),
      DEFAULT_KEEP_HISTORY_DAYS,
    )
    .option('--host <host>', 'address of the HTTP server (status page, /metrics, /healthz)', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP server; 0 picks a free one', portArg, 7070)
    .action((opts: RunOptions) => runController(ctx, opts, setExit));
}

/** What every `run` sets up before its first look, and takes down after its last. */
interface Run {
  readonly parts: ControllerParts;
  readonly runner: Runner;
  readonly loop: TickLoop;
  readonly retention: HistoryRetention;
  readonly stopped: ReturnType<typeof whenStopSignal>;
  readonly stopHeapWatch: () => void;
  readonly registry: ReturnType<typeof createMetrics>['registry'];
}

async function runController(
  ctx: CliContext,
  opts: RunOptions,
  setExit: (code: number) => void,
): Promise<void> {
  if (!isValidCron(opts.poll)) {
    throw new ConfigurationError(
      'BadPoll',
      `--poll "${opts.poll}" is not a cron expression; for example "*/15 * * * * *" (every 15 seconds)`,
    );
  }
  const parts = await openController(ctx, opts);
  try {
    await checkToken(ctx, parts);
  } catch (err) {
    await parts.close();
    throw err;
  }
  await sayResuming(ctx, parts);
  const run = startRun(ctx, opts, parts);
  setExit(opts.once ? await runOnce(ctx, run) : await runServing(ctx, opts, run));
}

/** The runner, its loop of looks, the history's retention, the heap watch and the stop signal of a run. */
function startRun(ctx: CliContext, opts: RunOptions, parts: ControllerParts): Run {
  const stopHeapWatch = watchHeap(parts.log);
  const { metrics, registry } = createMetrics({ now: ctx.now });
  // Looks, one at a time: on the poll schedule, at a webhook, and when a wait with a known end runs out.
  const loop = new TickLoop(ctx, async () => {
    await runner.branch.look();
  });
  const retention = new HistoryRetention({
    journal: parts.journal,
    commits: parts.commits,
    state: parts.store,
    clock: parts.clock,
    log: parts.log,
    keepMs: opts.keepHistory * 24 * 60 * 60 * 1000,
  });
  const runner = createRunner(ctx, parts, {
    workers: opts.workers,
    metrics,
    retention,
    // --once looks once: what waits is left to the next run.
    onWake: opts.once ? undefined : () => loop.kick(),
    // --once prints the status once, at its end.
    printEachLook: !opts.once,
  });
  const stopped = whenStopSignal((signal) => {
    ctx.io.out(
      `${signal}: stopping. No new step starts; steps under way end at their next call and stay open in the journal (${signal} again quits at once).`,
    );
    parts.stop();
    void runner.controller.stop();
  });
  return { parts, runner, loop, retention, stopped, stopHeapWatch, registry };
}

/** `run --once`: one look, and the work it started to its end or its wait; the exit code. */
async function runOnce(ctx: CliContext, run: Run): Promise<number> {
  const { parts, runner, stopped } = run;
  let head: HeadProblem | undefined;
  try {
    ({ head } = await lookAndSettle(runner));
    // Waits with a known end are left to the next run.
    await runner.controller.stop();
    if (runner.controller.ready) printSummary(ctx, runner, runner.controller.status());
    await sayLeftOpen(ctx, parts, stopped.received());
  } finally {
    stopped.remove();
    run.stopHeapWatch();
    await run.retention.settled();
    // The rehearsal's clock went on while the work ran: the next run goes on from here, never before
    // the times the records were written at.
    await parts.saveClock();
    await parts.reporter.flush();
    await parts.close({ compact: true });
  }
  // A head that does not validate applied nothing of it: a finding, as validate says of it.
  return head?.problem === 'invalid' ? EXIT.findings : EXIT.ok;
}

/** `run`: looks on the schedule (and at webhooks) with the HTTP server up, until a stop signal; the exit code. */
async function runServing(ctx: CliContext, opts: RunOptions, run: Run): Promise<number> {
  const { parts, runner, loop, stopped } = run;
  const server = await startServer({
    host: opts.host,
    port: opts.port,
    log: parts.log,
    registry: run.registry,
    getStatus: async () => (runner.controller.ready ? runner.controller.status() : undefined),
    isReady: () => runner.controller.ready,
    getHistory: async (query, limit) =>
      (await parts.engine.journal.history(query)).slice(0, limit).map(historyItem),
    getCommits: async (limit) => (await parts.commits.list()).slice(0, limit),
    getCommitStatuses: async (commit) => [...(await parts.reporter.latest(commit)).values()],
    getGroup: async (name) => {
      const group = runner.controller.followed?.constellation.groups.get(name);
      return { group, consoles: group ? parts.consoles(group) : [] };
    },
    // A webhook only makes the loop look at once; polling stays the source of truth.
    onWebhook: webhookOf(ctx, opts, parts, loop),
  });
  ctx.io.out(`Status page ${server.url}  (metrics at ${new URL('/metrics', server.url).href})`);
  try {
    await loop.runForever(opts.poll, stopped.promise);
    await runner.controller.stop();
    await parts.saveClock();
    await sayLeftOpen(ctx, parts, true);
  } finally {
    stopped.remove();
    run.stopHeapWatch();
    await server.close();
    await run.retention.settled();
    parts.reporter.close();
    await parts.reporter.flush().catch((err: unknown) => {
      ctx.io.err(`ringmaster: statuses not written before stopping: ${(err as Error).message}`);
    });
    await parts.close({ compact: true });
  }
  return EXIT.ok;
}

/** The GitHub webhook, when its secret is set: it makes the loop look at once. */
function webhookOf(ctx: CliContext, opts: RunOptions, parts: ControllerParts, loop: TickLoop) {
  const secret = ctx.env.githubWebhookSecret;
  if (!secret) return undefined;
  return createGitHubWebhook({ secret, branch: opts.branch, log: parts.log, onTrigger: () => loop.kick() });
}

/** Says, at start, which transitions a stopped or killed controller left open: this run resumes them first. */
async function sayResuming(ctx: CliContext, parts: ControllerParts): Promise<void> {
  const open = await parts.engine.journal.listOpen();
  if (!open.length) return;
  parts.log.info(
    { count: open.length, transitions: open.map((e) => e.id) },
    'Resuming transitions left open',
  );
  const named = open.slice(0, 5).map((e) => `${e.id} (${e.status})`);
  const more = open.length > named.length ? ` and ${open.length - named.length} more` : '';
  ctx.io.out(
    `Resuming ${open.length} transition${open.length === 1 ? '' : 's'} left open: ${named.join(', ')}${more}`,
  );
}

/** After a stop, says what is left open in the journal, and that the next start resumes it. */
async function sayLeftOpen(ctx: CliContext, parts: ControllerParts, stopped: boolean): Promise<void> {
  if (!stopped) return;
  const open = (await parts.engine.journal.listOpen()).filter(
    (e) => e.status !== 'waiting' || /^stopped /.test(e.reason ?? ''),
  );
  ctx.io.out(
    open.length
      ? `Stopped. ${open.length} transition${open.length === 1 ? ' is' : 's are'} left open (${open.map((e) => e.id).join(', ')}); the next start resumes ${open.length === 1 ? 'it' : 'them'}.`
      : 'Stopped.',
  );
}

/**
 * With --github, checks once that GitHub takes the token and that it may do
 * what the controller asks (see checkGitHubAccess): a wrong token stops `run`
 * at once with exit 2. GitHub out of reach is no reason to stop: the loop
 * keeps trying, and says so.
 */
async function checkToken(ctx: CliContext, parts: ControllerParts): Promise<void> {
  if (!parts.github) return;
  try {
    await checkGitHubAccess(parts.github.client, parts.github.repo, { statuses: true, pullRequests: true });
  } catch (err) {
    if (!isTransient(err)) throw err;
    parts.log.warn({ err }, 'GitHub could not be asked about the token; going on');
    ctx.io.err(`ringmaster: ${err.message}; going on, and trying GitHub again at each look`);
  }
}
