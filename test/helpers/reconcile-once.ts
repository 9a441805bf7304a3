/**
 * One look and the work it starts, to the end, for the engine's tests: the
 * live controller does the work; this waits until nothing runs and no health
 * check is due, then reports. Test code only (`run --once` goes through
 * controller/loop/branch-look.ts).
 */
import type { JournalEntry, TransitionSummary } from '../../controller/engine/journal.js';
import { summarize } from '../../controller/engine/journal.js';
import type { EngineDeps } from '../../controller/engine/run-transition.js';
import type { Constellation } from '../../controller/model/types.js';
import type { Halted, Waiting } from '../../controller/plan/admission.js';
import type { TransitionPlan } from '../../controller/plan/transitions.js';
import type { StateStore } from '../../controller/state/file-store.js';
import type { ControllerStatus } from '../../controller/state/status-view.js';
import type { StatusReporter } from '../../controller/status/reporter.js';
import type { Clock } from '../../controller/loop/clock.js';
import { LiveController } from '../../controller/loop/live-controller.js';

export interface ReconcileDeps {
  readonly engine: EngineDeps;
  readonly state: StateStore;
  readonly reporter?: StatusReporter;
  /** Link from a ring's commit status to the controller's status page. */
  readonly targetUrl?: (commit: string, ring: string) => string;
  /** Told of every transition as it ends or starts waiting, for progress a person can follow. */
  readonly onTransition?: (entry: JournalEntry) => void;
  /** The controller's clock; default: the engine's `now`, with its `sleep` to wait for a time. */
  readonly clock?: Clock;
  /** Transitions run at most at once; default 64. */
  readonly workers?: number;
}

export interface ReconcileReport {
  readonly commit: string;
  readonly plan: TransitionPlan;
  /** The transitions that ended, started waiting or stopped, in order (their journals hold the steps). */
  readonly ran: readonly TransitionSummary[];
  readonly waiting: readonly Waiting[];
  readonly halted: readonly Halted[];
  readonly status: ControllerStatus;
}

/**
 * Applies `desired` (the state of `commit`) and waits until the work it
 * started has ended, waits for something outside, or was stopped. Throws only
 * when state cannot be read or written.
 */
export async function reconcileOnce(
  desired: Constellation,
  commit: string,
  deps: ReconcileDeps,
): Promise<ReconcileReport> {
  const ran: TransitionSummary[] = [];
  const controller = new LiveController({
    engine: deps.engine,
    state: deps.state,
    clock: deps.clock ?? engineClock(deps.engine),
    workers: deps.workers ?? 64,
    log: deps.engine.log,
    reporter: deps.reporter,
    targetUrl: deps.targetUrl,
    isApproved: deps.engine.isApproved,
    onTransition: (entry) => {
      ran.push(summarize(entry));
      deps.onTransition?.(entry);
    },
  });
  const { plan } = await controller.look({ constellation: desired, commit });
  await controller.settled();
  // Waits with a known end are left to the next look.
  await controller.stop();
  const status = controller.status();
  return {
    commit,
    plan,
    ran,
    waiting: status.groups
      .filter((g) => g.state === 'waiting')
      .map((g) => ({ group: g.name, reason: g.reason ?? 'waiting' })),
    halted: status.rings
      .filter((r) => r.state === 'halted')
      .map((r) => ({ ring: r.name, reason: r.reason ?? 'halted' })),
    status,
  };
}

/** A clock made of the engine's `now` and `sleep` (tests move time by sleeping). */
function engineClock(engine: EngineDeps): Clock {
  return {
    now: () => engine.now(),
    at(at, fn) {
      let live = true;
      void engine.sleep(Math.max(0, at.getTime() - engine.now().getTime())).then(
        () => live && fn(),
        () => {},
      );
      return { cancel: () => (live = false) };
    },
    sleep: (ms) => engine.sleep(ms),
  };
}
