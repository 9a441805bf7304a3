/**
 * What the live controller (live-controller.ts) is built from, the commit it
 * follows, and what a look reports: the contract between the controller and
 * those who run it (cli/runner.ts, loop/branch-look.ts) and show it
 * (loop/live-status.ts).
 */
import type { Logger } from 'pino';
import type { JournalEntry } from '../engine/journal.js';
import type { EngineParts } from '../engine/run-transition.js';
import type { Constellation } from '../model/types.js';
import type { TransitionPlan } from '../plan/transitions.js';
import type { StateStore } from '../state/file-store.js';
import type { HeadProblem } from '../state/status-view.js';
import type { StatusReporter } from '../status/reporter.js';
import type { Clock } from './clock.js';

/** What the live controller is built from. */
export interface LiveControllerDeps {
  readonly engine: EngineParts;
  readonly state: StateStore;
  readonly clock: Clock;
  /** Transitions run at most at once, over all rings. */
  readonly workers: number;
  readonly log: Logger;
  readonly reporter?: StatusReporter;
  /** Link from a ring's commit status to the controller's status page. */
  readonly targetUrl?: (commit: string, ring: string) => string;
  /** Told of every transition that ends, starts waiting or stops, for people to follow. */
  readonly onTransition?: (entry: JournalEntry) => void;
  /** Asks for a look at the branch (a wait with a known end ran out). */
  readonly onWake?: () => void;
  /** Whether a transition waiting at its gate is approved; default: an Approval in the commit followed now. */
  readonly isApproved?: (transition: string) => Promise<boolean>;
  /** Least real time between two writes of the statuses and records that only show progress; default 1 s. */
  readonly statusEveryMs?: number;
}

/** The commit a look applies, with its desired state. */
export interface Followed {
  readonly constellation: Constellation;
  readonly commit: string;
  /** A newer head that is not followed, and why. */
  readonly head?: HeadProblem;
}

/** What a look found. */
export interface LookReport {
  readonly plan: TransitionPlan;
  /** Transitions handed to the queue by this look. */
  readonly started: readonly string[];
}
