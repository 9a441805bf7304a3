import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { validate as isValidCron } from 'node-cron';
import { type ReconcileReport, reconcileOnce } from '../engine/reconcile.js';
import type { JournalEntry } from '../engine/journal.js';
import { ConfigurationError, isTransient } from '../errors.js';
import { checkGitHubAccess } from '../github/access.js';
import { fitDescription } from '../status/reporter.js';
import { EXIT, type CliContext } from './context.js';
import {
  type ControllerOptions,
  type ControllerParts,
  addControllerOptions,
  openController,
} from './controller-options.js';
import type { DesiredRead } from './desired.js';
import { renderStatus } from './render-status.js';
import { watchHeap } from '../server/heap-watch.js';
import { whenStopSignal } from './stop-signal.js';
import { TickLoop } from './tick-loop.js';
import { startServer } from '../server/http.js';
import { createGitHubWebhook } from '../server/webhook.js';
import { openRevertPullRequests } from '../github/revert.js';
import { join } from 'node:path';
import { type Metrics, createMetrics } from '../server/metrics.js';
import type { ControllerStatus } from '../state/status-view.js';
import { InvalidArgumentError } from 'commander';

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
}

/** What the loop shares with the HTTP server. */
interface Observed {
  readonly metrics: Metrics;
  status?: ControllerStatus;
  /** A hash of the last summary printed: a tick that changed nothing prints nothing. */
  printed?: string;
  /** The reason last printed for each waiting transition: a wait is printed when it starts or its reason changes. */
  waitingPrinted?: Map<string, string>;
}

/** Who the controller's own commits (revert branches) are by: git's `-c` settings for them. */
const COMMITTER = ['user.name=Ringmaster', 'user.email=ringmaster@localhost'];

const MARK: Record<string, string> = { succeeded: '✓', 'rolled-back': '↺', emergency: '⚠', waiting: '…' };

/** `ringmaster run`: reconcile the groups towards the branch head, once or on a schedule. */
export function registerRun(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  addControllerOptions(program.command('run'), ctx)
    .description(
      'Run the controller: follow the branch and move every group to the state its newest commit asks for',
    )
    .option(
      '--once',
      'reconcile once, wait until every transition has finished, failed or is waiting, then exit',
    )
    .option('--poll <cron>', 'when to look at the branch (cron with seconds)', '*/15 * * * * *')
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
      const observed: Observed = { metrics };
      const tick = async () => {
        await reconcileTick(ctx, parts, observed);
      };
      await sayResuming(ctx, parts);
      const stopped = whenStopSignal((signal) => {
        ctx.io.out(
          `${signal}: stopping. No new step starts; steps under way end at their next call and stay open in the journal (${signal} again quits at once).`,
        );
        parts.stop();
      });
      if (opts.once) {
        let report: ReconcileReport | undefined;
        try {
          report = await reconcileTick(ctx, parts, observed);
          await sayLeftOpen(ctx, parts, stopped.received());
        } finally {
          stopped.remove();
          stopHeapWatch();
          await parts.reporter.flush();
          await parts.close({ compact: true });
        }
        // A head that does not validate applied nothing: a finding, as validate says of it.
        setExit(report ? EXIT.ok : EXIT.findings);
        return;
      }
      const loop = new TickLoop(ctx, tick);
      const secret = ctx.env.githubWebhookSecret;
      const server = await startServer({
        host: opts.host,
        port: opts.port,
        log: parts.log,
        registry,
        getStatus: async () => observed.status,
        isReady: () => observed.status !== undefined,
        // A webhook only makes the loop look at once; polling stays the source of truth.
        onWebhook: secret
          ? createGitHubWebhook({ secret, branch: opts.branch, log: parts.log, onTrigger: () => loop.kick() })
          : undefined,
      });
      ctx.io.out(`Status page ${server.url}  (metrics at ${new URL('/metrics', server.url).href})`);
      try {
        await loop.runForever(opts.poll, stopped.promise);
        await sayLeftOpen(ctx, parts, true);
      } finally {
        stopped.remove();
        stopHeapWatch();
        await server.close();
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

/** One reconcile of the branch head, printing progress; a head that does not validate is reported, never applied. */
export async function reconcileTick(
  ctx: CliContext,
  parts: ControllerParts,
  observed: Observed,
): Promise<ReconcileReport | undefined> {
  const started = Date.now();
  const desired = await parts.readDesired();
  observed.metrics.setNewestCommitTime(desired.committedAt);
  const short = desired.commit.slice(0, 12);
  await reportHistory(ctx, parts, desired);
  if (!desired.constellation) {
    ctx.io.out(
      [`✗ commit ${short} does not validate; nothing applied:`, ...desired.errors.map((e) => `  ${e}`)].join(
        '\n',
      ),
    );
    await parts.reporter.report(desired.commit, {
      state: 'error',
      context: 'ringmaster/validate',
      description: fitDescription(
        `not applied: ${desired.errors.length} validation errors; first: ${desired.errors[0] ?? ''}`,
      ),
    });
    return undefined;
  }
  const report = await reconcileOnce(desired.constellation, desired.commit, {
    engine: {
      ...parts.engine,
      constellation: desired.constellation.name,
      // Approvals arrive through git: only an approval in the commit being applied counts.
      isApproved: async (id) => desired.constellation!.approvals.has(id),
      observeStep: (step, seconds) => observed.metrics.observeStep(step, seconds),
    },
    state: parts.store,
    reporter: parts.reporter,
    targetUrl: parts.targetUrl,
    onTransition: (e) => {
      if (e.status !== 'running' && e.status !== 'rolling-back') observed.metrics.countTransition(e.status);
      const waits = (observed.waitingPrinted ??= new Map());
      if (e.status === 'waiting' && waits.get(e.id) === e.reason) return;
      if (e.status === 'waiting') waits.set(e.id, e.reason ?? '');
      else waits.delete(e.id);
      ctx.io.out(progressLine(ctx, e));
    },
  });
  if (parts.github && parts.mirror && report.halted.length) {
    const opened = await openRevertPullRequests(
      {
        ...parts.github,
        git: parts.mirror.repository(),
        openGit: (dir) => ctx.openGit(dir, { config: COMMITTER }),
        branch: parts.mirror.branch,
        dir: join(parts.store.dir, 'reverts'),
        log: parts.log,
      },
      desired.constellation,
      desired.commit,
      report.halted,
      await parts.store.loadRecords(),
    );
    for (const r of opened.filter((o) => o.created))
      ctx.io.out(`↩ opened ${r.url}: return ${r.ring} to ${r.to}`);
  }
  observed.status = report.status;
  observed.metrics.setGroupStates(report.status);
  await desired.accept();
  observed.metrics.observeReconcile((Date.now() - started) / 1000);
  await parts.saveClock();
  const text = summary(report);
  // Kept as a hash: at 10,000 groups the table is a megabyte.
  const printed = createHash('sha256').update(text).digest('hex');
  if (printed !== observed.printed) ctx.io.out(text);
  observed.printed = printed;
  return report;
}

/** Final statuses for commits passed over between two looks, and an error on a head that rewrote history. */
async function reportHistory(ctx: CliContext, parts: ControllerParts, desired: DesiredRead): Promise<void> {
  const head = desired.commit.slice(0, 12);
  for (const commit of desired.superseded) {
    await parts.reporter.report(commit, {
      state: 'success',
      context: 'ringmaster',
      description: fitDescription(
        `superseded by ${head} before it was applied; its changes roll out with that commit`,
      ),
    });
  }
  if (desired.unjudged) {
    ctx.io.out(
      `… ${desired.unjudged.slice(0, 12)} waits: its approvals could not be checked on GitHub; still following ${head} until they can`,
    );
  }
  if (desired.refused) {
    const { head, commit, reason } = desired.refused;
    ctx.io.out(
      `✗ ${commit.slice(0, 12)} is not applied: ${reason}; merge the change through an approved pull request, or an operator runs ringmaster accept-history ${head.slice(0, 12)}`,
    );
    for (const c of new Set([commit, head])) {
      await parts.reporter.report(c, {
        state: 'error',
        context: 'ringmaster',
        description: fitDescription(
          c === commit ? reason : `not applied: ${commit.slice(0, 7)} before it lacks approval: ${reason}`,
        ),
      });
    }
  }
  if (desired.rewritten) {
    const short = desired.rewritten.slice(0, 12);
    ctx.io.out(
      `✗ the branch was rewritten (force push) to ${short}; nothing from it is applied until: ringmaster accept-history ${short}`,
    );
    parts.log.warn(
      { head: desired.rewritten, followed: desired.commit },
      'Branch history rewritten; not followed',
    );
    await parts.reporter.report(desired.rewritten, {
      state: 'error',
      context: 'ringmaster',
      description: fitDescription(
        `history rewritten: not applied; an operator runs ringmaster accept-history ${short} to follow it`,
      ),
    });
  }
}

function progressLine(ctx: CliContext, e: JournalEntry): string {
  const time = ctx.now().toISOString().slice(11, 19);
  return `${time} ${MARK[e.status] ?? '·'} ${e.id} ${e.status}${e.reason ? `: ${e.reason}` : ''}`;
}

function summary(r: ReconcileReport): string {
  const count = (s: string) => r.ran.filter((e) => e.status === s).length;
  const head = `commit ${r.commit.slice(0, 12)}: ${r.ran.length} transitions (${count('succeeded')} succeeded, ${count('rolled-back')} rolled back, ${count('emergency')} in emergency), ${r.waiting.length} waiting, ${r.halted.length} rings halted`;
  return `${head}\n\n${renderStatus(r.status)}\n`;
}
