import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { GitMirror } from '../source/mirror.js';
import { type Command, InvalidArgumentError } from 'commander';
import { pino, type Logger } from 'pino';
import { parseHttpUrl, parsePositiveInt } from '../config.js';
import { ConfigurationError } from '../errors.js';
import { createLogger } from '../log.js';
import { type Clock, systemClock } from '../loop/clock.js';
import { isRemoteAddress } from '../source/mirror-remote.js';
import { FileJournalStore } from '../state/journal-store.js';
import type { EngineParts } from '../engine/run-transition.js';
import type { Constellation, Group } from '../model/types.js';
import { NO_FAULTS, loadFaults } from '../providers/sim/faults.js';
import { createSimProviders } from '../providers/sim/provider.js';
import { SIM_PROVIDERS, loadProvidersFile } from '../providers/providers-file.js';
import { type ConsoleLink, consoleLinks } from '../providers/consoles.js';
import { CommitLog } from '../state/commit-log.js';
import { removeStaleTempFiles } from '../state/atomic-file.js';
import { loadClockTime, saveClockTime } from '../state/clock-file.js';
import { FileStateStore } from '../state/file-store.js';
import { GitNotesReporter } from '../status/git-notes.js';
import { CoalescingReporter } from '../status/coalescing.js';
import { GitHubStatusReporter } from '../status/github.js';
import { type GitHubParts, openGitHub } from './github-options.js';
import { positiveIntArg } from './options.js';
import type { CliContext } from './context.js';
import { openDesiredReader } from './desired.js';
import { withRealPorts } from './real-ports.js';
import { type DesiredRead, invalidHeadOf } from '../loop/desired-read.js';

/** Flags shared by the controller commands (run, plan, status, recover). */
export interface ControllerOptions {
  repo: string;
  branch: string;
  rev?: string;
  state: string;
  simFaults?: string;
  simLatency?: number;
  simSpeed: number;
  logFile?: string;
  logLevel: string;
  github?: string;
  statusUrl?: string;
  providers?: string;
}

/**
 * Adds the controller flags to `cmd`. The sim's faults and latency only with
 * `acting` (the command calls the providers: run, recover), the status page's
 * address only with `running`: each command's help lists what it uses.
 */
export function addControllerOptions(
  cmd: Command,
  ctx: CliContext,
  options: { running?: boolean; acting?: boolean } = {},
): Command {
  cmd
    .option(
      '--repo <dir|url>',
      'the Ringmaster repository to follow: a folder, or a URL git takes (followed through a mirror in the state folder)',
      ctx.env.repo,
    )
    .option('--branch <name>', 'the tracked branch', 'main')
    .option('--rev <rev>', 'read this revision instead of the branch head')
    .option('--state <dir>', 'the state folder: applied state, journals, simulated world, log', '.ringmaster')
    .option(
      '--providers <file>',
      'the providers file (kind Providers): which adapter serves each port, how to reach each cluster; without it everything is simulated',
    );
  if (options.running || options.acting)
    cmd
      .option('--sim-faults <file>', 'inject faults into the sim provider from this YAML file')
      .option('--sim-latency <ms>', 'delay of every simulated call, in milliseconds', latencyArg, 0);
  cmd
    .option(
      '--sim-speed <n>',
      'rehearse with time n times faster: health periods, bake and keep times, windows (600: 10 minutes in 1 second)',
      positiveIntArg('--sim-speed'),
      1,
    )
    .option('--log-file <file>', "JSON log (default <state>/ringmaster.log; '-' for standard error)")
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option(
      '--github <owner/repo>',
      'report statuses on GitHub and apply only commits merged through approved pull requests (needs GITHUB_TOKEN)',
    );
  if (options.running)
    cmd.option(
      '--status-url <url>',
      "where people reach this controller's status page, for the links on commit statuses",
      ctx.env.statusUrl,
    );
  return cmd;
}

function latencyArg(value: string): number {
  if (value === '0') return 0;
  try {
    return parsePositiveInt(value, '--sim-latency');
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** The controller's parts, built from the flags: the only place they are constructed. */
export interface ControllerParts {
  readonly store: FileStateStore;
  readonly engine: EngineParts;
  /** The engine's journal, as files in the state folder (history, retention). */
  readonly journal: FileJournalStore;
  /** Statuses to GitHub (--github) or to git notes, coalesced; flush before exiting. */
  readonly reporter: CoalescingReporter;
  /** Link from a ring's commit status to the status page, when --status-url is known. */
  readonly targetUrl?: (commit: string, ring: string) => string;
  readonly log: Logger;
  /** Reads the desired state at the branch head (or --rev): its commit and constellation, or the findings that stop it. */
  readDesired(): Promise<DesiredRead>;
  /** The mirror following the branch; absent with --rev, which reads the local repository as it is. */
  readonly mirror?: GitMirror;
  /** The desired state at an earlier commit (what a commit changed is told against the one followed before it). */
  readAt(commit: string): Promise<Constellation | undefined>;
  /** The GitHub side (--github): client, repository, approval verdicts. */
  readonly github?: GitHubParts;
  /** The commits looked at (followed, passed over, not followed), kept in the state folder. */
  readonly commits: CommitLog;
  /** The links from a group's page to its consoles (the providers file's `consoles:`). */
  consoles(group: Group): ConsoleLink[];
  /** The controller's time (sped up in a rehearsal, see --sim-speed). */
  readonly clock: Clock;
  /** Records the clock's time in the state folder, where the next start goes on from. */
  saveClock(): Promise<void>;
  /**
   * Asks the engine to stop: no step, attempt or wave starts after it, waits
   * end at once, and transitions under way stay open in the journal, to
   * resume at the next start. The reconcile under way then ends soon.
   */
  stop(): void;
  /**
   * Waits for the state writes under way and closes the state files; with
   * `compact`, first folds their logs into the files (the controller, as it
   * stops, so that a stopped controller leaves plain files). Last it ends a
   * log file, with every line written: log nothing after it.
   */
  close(options?: { compact?: boolean }): Promise<void>;
}

/** Builds the controller's parts for `opts`. Throws ConfigurationError on a bad repository, faults file or state. */
export async function openController(ctx: CliContext, opts: ControllerOptions): Promise<ControllerParts> {
  const remote = isRemoteAddress(opts.repo);
  if (remote && opts.rev !== undefined) {
    throw new ConfigurationError(
      'RevNeedsFolder',
      `--rev reads a revision of a local repository, and --repo ${opts.repo} is a remote address; ` +
        `drop --rev to follow branch ${opts.branch} of it, or pass the folder of a clone`,
    );
  }
  // A remote address is followed through the mirror alone; a folder is also where git-note statuses go.
  const git = remote ? undefined : await ctx.openGit(opts.repo);
  const logFile = opts.logFile ?? join(opts.state, 'ringmaster.log');
  const destination =
    logFile === '-' ? pino.destination(2) : pino.destination({ dest: logFile, mkdir: true, sync: false });
  const log = createLogger({ level: opts.logLevel, base: { pid: process.pid } }, destination);
  // Writes killed before their rename leave temporary files that nothing else would remove.
  const removed = await removeStaleTempFiles(opts.state);
  if (removed.length > 0) log.info({ count: removed.length, removed }, 'Removed stale temporary files');
  const faults = opts.simFaults ? await loadFaults(opts.simFaults) : NO_FAULTS;
  const store = new FileStateStore(opts.state);
  const journal = new FileJournalStore(join(opts.state, 'journal'), (err, ids) =>
    log.warn(
      { err, transitions: ids },
      'Ended transitions not written to their journal files; trying again next look',
    ),
  );
  // Aborted by stop(): no new step starts, waits end at once, what is under way stays open in the journal.
  const stopping = new AbortController();
  // Every wait under way (a back-off, a slow call, one per worker) listens for the stop: many at once is normal.
  setMaxListeners(0, stopping.signal);
  // A rehearsal's time runs --sim-speed times faster from the start: health periods, bake and keep times and
  // maintenance windows all pass at that pace. At speed 1 it is the machine's time.
  // Time never runs backwards across restarts: a rehearsal's clock goes on from where it stopped.
  const saved = await loadClockTime(opts.state);
  const clock = systemClock(opts.simSpeed, saved && saved > ctx.now() ? saved : ctx.now());
  const config = opts.providers ? await loadProvidersFile(opts.providers, ctx.schemas()) : SIM_PROVIDERS;
  const sim = await createSimProviders({
    statePath: join(opts.state, 'sim.json'),
    faults,
    latencyMs: opts.simLatency ?? 0,
    // A slow fault's call takes its time on the rehearsal's clock, and a stop cuts it short.
    wait: (ms) => clock.sleep(ms, stopping.signal),
    now: () => clock.now(),
  });
  const providers = await withRealPorts(sim, config, ctx);
  const engine: EngineParts = {
    providers,
    pollIntervalMs: config.pollMs,
    journal,
    now: () => clock.now(),
    sleep: (ms) => clock.sleep(ms, stopping.signal),
    signal: stopping.signal,
    healthIntervalMs: 30_000,
    // Back-off between attempts passes at the rehearsal's pace too (p-retry waits on the machine's timers).
    retry: { retries: 3, minTimeoutMs: 1_000 / opts.simSpeed, maxTimeoutMs: 30_000 / opts.simSpeed },
    log,
  };
  const github = openGitHub(ctx, opts.github, log);
  const desired = await openDesiredReader(ctx, opts, git, log, github);
  // Statuses as git notes go to the local repository, or, when following a remote address, to the mirror.
  const notesRepository = git ?? desired.mirror!.repository();
  const notes = github ? undefined : new GitNotesReporter(notesRepository, { now: () => clock.now() });
  const inner = notes ?? new GitHubStatusReporter(github!.client, github!.repo, { log });
  const reporter = new CoalescingReporter(inner, { log });
  const statusUrl = opts.statusUrl && parseHttpUrl(opts.statusUrl, '--status-url');
  const targetUrl =
    statusUrl === undefined
      ? undefined
      : (commit: string, ring: string) => `${statusUrl}/commits/${commit}?ring=${encodeURIComponent(ring)}`;
  // Closing twice waits for the first close: the log file is ended once.
  let closing: Promise<void> | undefined;
  const close = (options: { compact?: boolean } = {}) => (closing ??= closeAll(options));
  const closeAll = async (options: { compact?: boolean }) => {
    // Every part is closed even when one fails, and the log file ends after all of them.
    const closed = await Promise.allSettled([
      store.close(options),
      journal.close(options),
      providers.close?.(options),
      desired.close(),
      notes?.close(),
    ]);
    // Standard error is not ours to close; a log file is, once its last line is written.
    if (logFile !== '-')
      await endStream(destination, (err) => ctx.io.err(`ringmaster: log file ${logFile}: ${err.message}`));
    const failed = closed.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  const { readDesired, readAt, mirror } = desired;
  const stop = () => stopping.abort();
  const saveClock = () => saveClockTime(opts.state, clock.now());
  const region = config.awsRegion ?? ctx.env.awsRegion;
  return {
    store,
    engine,
    journal,
    reporter,
    targetUrl,
    log,
    readDesired,
    readAt,
    mirror,
    github,
    commits: new CommitLog(join(opts.state, 'commits.json')),
    consoles: (group) => consoleLinks(config.consoles, group, region),
    clock,
    saveClock,
    stop,
    close,
  };
}

/**
 * Opens the controller's parts for a read-only command (logs go to standard
 * error at warn), reads the branch head and hands both to `use`, closing the
 * parts afterwards whatever happens. When the head does not validate it prints
 * the findings and returns undefined: nothing is judged against it. With
 * `followed`, a command about what runs (status) is handed the commit the
 * controller still follows instead, after the findings.
 */
export async function withDesired<T>(
  ctx: CliContext,
  opts: ControllerOptions,
  use: (parts: ControllerParts, desired: DesiredRead & { constellation: Constellation }) => Promise<T>,
  options: { followed?: boolean } = {},
): Promise<T | undefined> {
  const parts = await openController(ctx, { ...opts, logFile: opts.logFile ?? '-', logLevel: 'warn' });
  try {
    const desired = await parts.readDesired();
    const invalid = invalidHeadOf(desired);
    if (invalid) {
      const still = desired.constellation ? `; still following ${desired.commit.slice(0, 12)}` : '';
      ctx.io.out(
        [...invalid.errors, `✗ commit ${invalid.commit.slice(0, 12)} does not validate${still}`].join('\n'),
      );
    }
    if (desired.constellation && (!invalid || options.followed))
      return await use(parts, { ...desired, constellation: desired.constellation });
    return undefined;
  } finally {
    await parts.close();
  }
}

/** Ends `stream` once what it holds is written; a failure is reported, not thrown: the work is done. */
function endStream(stream: ReturnType<typeof pino.destination>, report: (err: Error) => void): Promise<void> {
  return new Promise((resolve) => {
    stream.once('close', () => resolve());
    stream.once('error', (err: Error) => {
      report(err);
      resolve();
    });
    stream.end();
  });
}
