/**
 * The look at the branch: reads the head, tells once of a head that is not
 * followed (the JSON log and its commit status), gives commits passed over
 * their final status, and hands the commit followed to the live controller,
 * without waiting for the work it starts. A head that does not validate, or
 * is refused, applies nothing: the commit followed so far goes on.
 *
 * The command line wires what is printed and what reaches GitHub beyond
 * statuses (revert pull requests) through the hooks; this module prints
 * nothing.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Constellation } from '../model/types.js';
import { describeChanges } from '../plan/commit-changes.js';
import type { CommitLog, CommitRecord } from '../state/commit-log.js';
import { type StatusReporter, fitDescription } from '../status/reporter.js';
import type { ControllerStatus, HeadProblem, RingStatusView } from '../state/status-view.js';
import type { Clock } from './clock.js';
import { type DesiredRead, headProblemOf } from './desired-read.js';
import type { LiveController } from './live-controller.js';
import type { Followed } from './live-types.js';

/** What the look at the branch works with. */
export interface BranchLookDeps {
  readonly controller: LiveController;
  /** Reads the branch: the head, or the commit still followed and why the head is not. */
  readonly readDesired: () => Promise<DesiredRead>;
  readonly reporter: StatusReporter;
  readonly log: Logger;
  readonly clock: Clock;
  /** Aborted when the controller stops: a settling look stops waiting. */
  readonly signal?: AbortSignal;
  /** Keeps the controller's clock for the next start. */
  readonly saveClock: () => Promise<void>;
  /** Told of a head that is not followed, once per head and problem, after its log line and status. */
  readonly onHead?: (head: HeadProblem, read: DesiredRead) => void;
  /** Returns rings halted now to their release, where policy asks (revert pull requests). */
  readonly returnHalted?: (followed: Followed, halted: readonly RingStatusView[]) => Promise<void>;
  /** Told of what each look read, before anything is done with it. */
  readonly onRead?: (read: DesiredRead) => void;
  /** Where the commits looked at are kept (followed, passed over, not followed), for the status page and `history --commit`. */
  readonly commitLog?: Pick<CommitLog, 'add' | 'lastFollowed'>;
  /** The desired state at an earlier commit: a restarted controller tells what a commit changed against the one followed before. */
  readonly readAt?: (commit: string) => Promise<Constellation | undefined>;
  /** Told when a look has handed its work over: what it read, the status then, and how long it took. */
  readonly onLooked?: (read: DesiredRead, status: ControllerStatus, seconds: number) => void;
}

/** What one look came to. */
export interface LookResult {
  /** The commit followed, if any commit is. */
  readonly followed?: Followed;
  /** Why the newest head is not followed, if it is not. */
  readonly head?: HeadProblem;
}

/** See the module comment. */
export class BranchLook {
  readonly #deps: BranchLookDeps;
  /** The commit followed by the last look that had one, to go on with while the head is refused or invalid. */
  #followed?: Followed;
  /** The head problem last told (`problem:commit`): told once, not at every look. */
  #headTold?: string;
  /** Rings halted at the last look (`ring@commit`): a halt is logged once, when it is first seen. */
  #halted = new Set<string>();

  constructor(deps: BranchLookDeps) {
    this.#deps = deps;
  }

  /** One look: see the module comment. Returns without waiting for the work it started. */
  async look(): Promise<LookResult> {
    const started = performance.now();
    const read = await this.#deps.readDesired();
    this.#deps.onRead?.(read);
    const head = headProblemOf(read);
    // Oldest first, as the commit log lists them: passed over, followed, then a newer head not followed.
    await this.#reportSuperseded(read);
    if (read.constellation && read.commit !== this.#followed?.commit)
      await this.#record({
        commit: read.commit,
        outcome: 'followed',
        committedAt: read.committedAt.toISOString(),
        ...describeChanges(await this.#before(read.commit), read.constellation),
      });
    await this.#tellHead(read, head);
    const followed: Followed | undefined = read.constellation
      ? { constellation: read.constellation, commit: read.commit, head }
      : this.#followed && { ...this.#followed, head };
    if (!followed) return { head };
    this.#followed = followed;
    const controller = this.#deps.controller;
    await controller.look(followed);
    this.#tellHalted(controller.status());
    await this.#returnHalted(followed, controller.status());
    if (read.constellation) await read.accept();
    await this.#deps.saveClock();
    this.#deps.onLooked?.(read, controller.status(), (performance.now() - started) / 1000);
    return { followed, head };
  }

  /**
   * Looks, and waits until the work it started has ended, waits for a person
   * (an approval) or was stopped: what `run --once` does. Waits with a known
   * end (bake, freeze, windows) are waited for on the controller's clock,
   * looking again when they end; a rehearsal's clock makes them short.
   */
  async lookAndSettle(): Promise<LookResult> {
    const { controller, clock, signal } = this.#deps;
    let result = await this.look();
    for (;;) {
      if (!result.followed) break;
      await controller.settled({ scheduled: true });
      const wake = controller.nextWake;
      if (!wake || signal?.aborted) break;
      try {
        await clock.sleep(Math.max(0, wake.getTime() - clock.now().getTime()), signal);
      } catch {
        break; // stopped
      }
      result = await this.look();
    }
    // A ring the work halted is told and returned now, not at the next look.
    if (result.followed && controller.ready) {
      this.#tellHalted(controller.status());
      await this.#returnHalted(result.followed, controller.status());
    }
    return result;
  }

  /** Logs each ring halted since the last look, once. */
  #tellHalted(status: ControllerStatus): void {
    const now = new Set<string>();
    for (const ring of status.rings.filter((r) => r.state === 'halted')) {
      const key = `${ring.name}@${status.commit}`;
      now.add(key);
      if (!this.#halted.has(key))
        this.#deps.log.warn(
          {
            ring: ring.name,
            commit: status.commit,
            failed: ring.failed,
            failureBudget: ring.failureBudget,
            reason: ring.reason,
          },
          'Ring halted',
        );
    }
    this.#halted = now;
  }

  async #returnHalted(followed: Followed, status: ControllerStatus): Promise<void> {
    const halted = status.rings.filter((r) => r.state === 'halted');
    if (halted.length && this.#deps.returnHalted) await this.#deps.returnHalted(followed, halted);
  }

  /**
   * The desired state followed before `commit`: this process's, or after a
   * restart the last commit the log says was followed (read again from git).
   */
  async #before(commit: string): Promise<Constellation | undefined> {
    if (this.#followed) return this.#followed.constellation;
    const { commitLog, readAt } = this.#deps;
    try {
      const last = await commitLog?.lastFollowed();
      return last && last.commit !== commit && readAt ? await readAt(last.commit) : undefined;
    } catch (err) {
      this.#deps.log.warn(
        { err },
        'The commit followed before could not be read; its change is not described',
      );
      return undefined;
    }
  }

  /** Keeps `record` in the commit log; a failure to write it is logged, never stops the look. */
  async #record(record: Omit<CommitRecord, 'seenAt'>): Promise<void> {
    try {
      await this.#deps.commitLog?.add({ ...record, seenAt: this.#deps.clock.now().toISOString() });
    } catch (err) {
      this.#deps.log.warn({ err, commit: record.commit }, 'Commit not added to the list of commits followed');
    }
  }

  /** Final statuses for commits passed over between two looks. */
  async #reportSuperseded(read: DesiredRead): Promise<void> {
    const head = read.commit.slice(0, 12);
    for (const commit of read.superseded) {
      await this.#record({
        commit,
        outcome: 'superseded',
        reason: `superseded by ${head} before it was applied`,
      });
      await this.#deps.reporter.report(commit, {
        state: 'success',
        context: 'ringmaster',
        description: fitDescription(
          `superseded by ${head} before it was applied; its changes roll out with that commit`,
        ),
      });
    }
  }

  /** Tells of a head that is not followed, once per head and problem: in the JSON log, as its status, and to onHead. */
  async #tellHead(read: DesiredRead, head: HeadProblem | undefined): Promise<void> {
    const key = head && `${head.problem}:${head.commit}`;
    if (key === this.#headTold) return;
    this.#headTold = key;
    if (!head) return;
    const followed = read.constellation ? read.commit.slice(0, 12) : undefined;
    this.#deps.log.warn(
      { head: head.commit, problem: head.problem, reason: head.reason, followed },
      'Head not followed',
    );
    await this.#record({ commit: head.commit, outcome: head.problem, reason: head.reason });
    const short = head.commit.slice(0, 12);
    const reporter = this.#deps.reporter;
    if (head.problem === 'invalid') {
      const errors = read.invalid?.errors ?? read.errors;
      await reporter.report(head.commit, {
        state: 'error',
        context: 'ringmaster/validate',
        description: fitDescription(
          `not applied: ${errors.length} validation errors; first: ${errors[0] ?? ''}`,
        ),
      });
    } else if (head.problem === 'refused' && read.refused) {
      const { commit, reason } = read.refused;
      for (const c of new Set([commit, head.commit])) {
        await reporter.report(c, {
          state: 'error',
          context: 'ringmaster',
          description: fitDescription(
            c === commit ? reason : `not applied: ${commit.slice(0, 7)} before it lacks approval: ${reason}`,
          ),
        });
      }
    } else if (head.problem === 'rewritten') {
      await reporter.report(head.commit, {
        state: 'error',
        context: 'ringmaster',
        description: fitDescription(
          `history rewritten: not applied; an operator runs ringmaster accept-history ${short} to follow it`,
        ),
      });
    }
    this.#deps.onHead?.(head, read);
  }
}
