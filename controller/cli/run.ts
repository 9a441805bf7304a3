import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { validate as isValidCron } from 'node-cron';
import { type TransitionSummary, isFinal, summarize } from '../engine/journal.js';
import { ConfigurationError, isTransient } from '../errors.js';
import { type Followed, LiveController } from '../loop/live-controller.js';
import { BranchLook, type LookResult } from '../loop/branch-look.js';
import { checkGitHubAccess } from '../github/access.js';
import { EXIT, type CliContext } from './context.js';
import {
  type ControllerOptions,
  type ControllerParts,
  addControllerOptions,
  openController,
} from './controller-options.js';
import { renderStatus } from './render-status.js';
import { watchHeap } from '../server/heap-watch.js';
import { whenStopSignal } from './stop-signal.js';
import { TickLoop } from './tick-loop.js';
import { DEFAULT_KEEP_HISTORY_DAYS, HistoryRetention } from '../loop/history-retention.js';
import { startServer } from '../server/http.js';
import { historyItem } from '../state/history-view.js';
import { createGitHubWebhook } from '../server/webhook.js';
import { openRevertPullRequests } from '../github/revert.js';
import { join } from 'node:path';
import { type Metrics, createMetrics } from '../server/metrics.js';
import type { ControllerStatus, HeadProblem, RingStatusView } from '../state/status-view.js';
import { InvalidArgumentError } from 'commander';
import { headMessage, progressLine } from './run-messages.js';
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

/** Who the controller's own commits (revert branches) are by: git's `-c` settings for them. */
const COMMITTER = ['user.name=Ringmaster', 'user.email=ringmaster@localhost'];

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
    .action(async (opts: RunOptions) => {
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
      await sayResuming(ctx, parts);
      const stopped = whenStopSignal((signal) => {
        ctx.io.out(
          `${signal}: stopping. No new step starts; steps under way end at their next call and stay open in the journal (${signal} again quits at once).`,
        );
        parts.stop();
        void runner.controller.stop();
      });
      if (opts.once) {
        let head: HeadProblem | undefined;
        try {
          ({ head } = await lookAndSettle(runner));
          // Waits with a known end are left to the next run.
          await runner.controller.stop();
          if (runner.controller.ready) printSummary(ctx, runner, runner.controller.status());
          await sayLeftOpen(ctx, parts, stopped.received());
        } finally {
          stopped.remove();
          stopHeapWatch();
          await retention.settled();
          // The rehearsal's clock went on while the work ran: the next run goes on from here, never before
          // the times the records were written at.
          await parts.saveClock();
          await parts.reporter.flush();
          await parts.close({ compact: true });
        }
        // A head that does not validate applied nothing of it: a finding, as validate says of it.
        setExit(head?.problem === 'invalid' ? EXIT.findings : EXIT.ok);
        return;
      }
      const secret = ctx.env.githubWebhookSecret;
      const server = await startServer({
        host: opts.host,
        port: opts.port,
        log: parts.log,
        registry,
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
        onWebhook: secret
          ? createGitHubWebhook({ secret, branch: opts.branch, log: parts.log, onTrigger: () => loop.kick() })
          : undefined,
      });
      ctx.io.out(`Status page ${server.url}  (metrics at ${new URL('/metrics', server.url).href})`);
      try {
        await loop.runForever(opts.poll, stopped.promise);
        await runner.controller.stop();
        await parts.saveClock();
        await sayLeftOpen(ctx, parts, true);
      } finally {
        stopped.remove();
        stopHeapWatch();
        await server.close();
        await retention.settled();
        parts.reporter.close();
        await parts.reporter.flush().catch((err: unknown) => {
          ctx.io.err(`ringmaster: statuses not written before stopping: ${(err as Error).message}`);
        });
        await parts.close({ compact: true });
      }
      setExit(EXIT.ok);
    });
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

/** What the looks of one `run` share: the live controller, the look at the branch, what was printed. */
export interface Runner {
  readonly controller: LiveController;
  readonly branch: BranchLook;
  readonly metrics: Metrics;
  /** Transitions that ended since the summary was last printed. */
  ended: TransitionSummary[];
  /** Whether each look prints the status when it changed (a running controller) or not (`--once`, at its end). */
  printEachLook: boolean;
  /** A hash of the last summary printed: a look that changed nothing prints nothing. */
  printed?: string;
  /** The reason last printed for each waiting transition: a wait is printed when it starts or its reason changes. */
  readonly waitingPrinted: Map<string, string>;
}

/** Makes the live controller of a `run`, its look at the branch, and how both are printed and counted. */
export function createRunner(
  ctx: CliContext,
  parts: ControllerParts,
  options: {
    workers: number;
    metrics: Metrics;
    onWake?: () => void;
    printEachLook?: boolean;
    /** Keeps the history bounded, looked after at each look. */
    retention?: HistoryRetention;
  },
): Runner {
  const { metrics } = options;
  const controller = new LiveController({
    engine: { ...parts.engine, observeStep: (step, seconds) => metrics.observeStep(step, seconds) },
    state: parts.store,
    clock: parts.clock,
    workers: options.workers,
    log: parts.log,
    reporter: parts.reporter,
    targetUrl: parts.targetUrl,
    onWake: options.onWake,
    onTransition: (e) => {
      if (e.status === 'succeeded' || e.status === 'rolled-back' || e.status === 'emergency')
        metrics.countTransition(e.status);
      if (isFinal(e.status)) runner.ended.push(summarize(e));
      const waits = runner.waitingPrinted;
      if (e.status === 'waiting' && waits.get(e.id) === e.reason) return;
      if (e.status === 'waiting') waits.set(e.id, e.reason ?? '');
      else waits.delete(e.id);
      ctx.io.out(ctx.runnable(progressLine(ctx, e)));
    },
  });
  const branch = new BranchLook({
    controller,
    readDesired: parts.readDesired,
    reporter: parts.reporter,
    log: parts.log,
    clock: parts.clock,
    signal: parts.engine.signal,
    saveClock: parts.saveClock,
    commitLog: parts.commits,
    readAt: parts.readAt,
    onRead: (read) => metrics.setNewestCommitTime(read.committedAt),
    onHead: (head, read) => ctx.io.out(ctx.runnable(headMessage(head, read))),
    returnHalted: (followed, halted) => returnHaltedRings(ctx, parts, followed, halted),
    onLooked: (_read, status, seconds) => {
      if (status.commit) options.retention?.tick(status.commit);
      metrics.setGroupStates(status);
      metrics.observeReconcile(seconds);
      if (runner.printEachLook) printSummary(ctx, runner, status);
    },
  });
  const runner: Runner = {
    controller,
    branch,
    metrics,
    ended: [],
    printEachLook: options.printEachLook ?? false,
    waitingPrinted: new Map(),
  };
  return runner;
}

/**
 * Where the policy asks (with GitHub and a followed branch), opens a pull
 * request returning each halted ring to its previous release; one per ring
 * and release, however often it is asked.
 */
async function returnHaltedRings(
  ctx: CliContext,
  parts: ControllerParts,
  followed: Followed,
  halted: readonly RingStatusView[],
): Promise<void> {
  if (!parts.github || !parts.mirror) return;
  const opened = await openRevertPullRequests(
    {
      ...parts.github,
      git: parts.mirror.repository(),
      openGit: (dir) => ctx.openGit(dir, { config: COMMITTER }),
      branch: parts.mirror.branch,
      dir: join(parts.store.dir, 'reverts'),
      log: parts.log,
    },
    followed.constellation,
    followed.commit,
    halted.map((r) => ({ ring: r.name, reason: r.reason ?? 'halted' })),
    await parts.store.loadRecords(),
  );
  for (const r of opened.filter((o) => o.created))
    ctx.io.out(`↩ opened ${r.url}: return ${r.ring} to ${r.to}`);
}

/** What one look and the work it started, to the end, came to. */
export interface SettledLook extends LookResult {
  /** The transitions that ended meanwhile. */
  readonly ran: readonly TransitionSummary[];
  /** The status once settled; absent when nothing is followed yet. */
  readonly status?: ControllerStatus;
}

/** Looks at the branch and waits for the work it started (see BranchLook.lookAndSettle): what `run --once` does. */
export async function lookAndSettle(runner: Runner): Promise<SettledLook> {
  runner.ended = [];
  const result = await runner.branch.lookAndSettle();
  const status = runner.controller.ready ? runner.controller.status() : undefined;
  return { ...result, ran: runner.ended, status };
}

/** Prints the status with what ended since it was last printed, when it changed. */
function printSummary(ctx: CliContext, runner: Runner, status: ControllerStatus): void {
  const ended = runner.ended;
  const count = (s: string) => ended.filter((e) => e.status === s).length;
  const waiting = status.groups.filter((g) => g.state === 'waiting').length;
  const halted = status.rings.filter((r) => r.state === 'halted').length;
  const line = `commit ${status.commit?.slice(0, 12) ?? '?'}: ${ended.length} transitions (${count('succeeded')} succeeded, ${count('rolled-back')} rolled back, ${count('emergency')} in emergency), ${waiting} waiting, ${halted} rings halted`;
  const text = ctx.runnable(`${line}\n\n${renderStatus(status, ctx.style)}\n`);
  // Kept as a hash: at 10,000 groups the table is a megabyte.
  const printed = createHash('sha256').update(text).digest('hex');
  if (printed !== runner.printed) {
    ctx.io.out(text);
    runner.ended = [];
  }
  runner.printed = printed;
}
