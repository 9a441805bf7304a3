/**
 * The live controller of a `run` with its look at the branch, and how both
 * are printed and counted (see run.ts for the command itself; the benchmarks
 * drive a run through this too).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type TransitionSummary, isFinal, summarize } from '../engine/journal.js';
import { openRevertPullRequests } from '../github/revert.js';
import { BranchLook, type LookResult } from '../loop/branch-look.js';
import type { HistoryRetention } from '../loop/history-retention.js';
import { LiveController } from '../loop/live-controller.js';
import type { Followed } from '../loop/live-types.js';
import type { Metrics } from '../server/metrics.js';
import type { ControllerStatus, RingStatusView } from '../state/status-view.js';
import type { CliContext } from './context.js';
import type { ControllerParts } from './controller-options.js';
import { renderStatus } from './render-status.js';
import { headMessage, progressLine } from './run-messages.js';

/** Who the controller's own commits (revert branches) are by: git's `-c` settings for them. */
const COMMITTER = ['user.name=Ringmaster', 'user.email=ringmaster@localhost'];

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
export function printSummary(ctx: CliContext, runner: Runner, status: ControllerStatus): void {
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
