/**
 * The simulator under every port of the sim provider: the world held in
 * memory and written through its file, and the rules each call goes through
 * first (the latency, then the injected fault of its group and step).
 */
import { PermanentError, TransientError } from '../../errors.js';
import type { CallContext } from '../ports.js';
import { type Fault, type FaultPlan, MEASUREMENT_KINDS, findFault } from './faults.js';
import { type SimGroup, type SimWorld, type WorldChange, type WorldFile, groupKey } from './state.js';

export interface SimSettings {
  readonly faults: FaultPlan;
  readonly latencyMs: number;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly wait: (ms: number) => Promise<void>;
}

/** The world and the rules every call goes through. */
export class Simulator {
  constructor(
    readonly file: WorldFile,
    readonly settings: SimSettings,
  ) {}

  get world(): SimWorld {
    return this.file.world;
  }

  /** Waits the latency, then throws (or, when slow, waits) the injected fault for this call, if any. */
  async enter(ctx: CallContext): Promise<void> {
    if (this.settings.latencyMs > 0) await this.settings.sleep(this.settings.latencyMs);
    const fault = findFault(this.settings.faults, ctx.group, ctx.step);
    // A fault of the measurements leaves every other call alone (see simMetrics).
    if (!fault || MEASUREMENT_KINDS.includes(fault.kind)) return;
    if (fault.kind === 'slow') {
      // Before the call does anything: cut short by a stop, it has changed nothing.
      if (fault.times === undefined || (await this.countAttempt(ctx)) <= fault.times)
        await this.settings.wait(fault.durationMs!);
      return;
    }
    if (fault.times === undefined) throw injected(fault, ctx, 'every attempt fails');
    const attempt = await this.countAttempt(ctx);
    if (attempt <= fault.times)
      throw injected(fault, ctx, `attempt ${attempt}; the first ${fault.times} fail`);
  }

  /**
   * The number of this call's attempt of its step, counted by the simulator
   * per (ctx.group, ctx.step) and transition: a call whose (ctx.transition,
   * ctx.attempt) differs from the latest one counted starts the next attempt
   * (the first of a new transition starts at 1); a call that matches it belongs
   * to the same attempt, so a step that makes several calls fails or passes as
   * a whole, and an attempt resumed after a crash keeps its number. With an
   * engine that numbers attempts 1, 2, 3... this is exactly `ctx.attempt`. The
   * counter is written before the call goes on, so a restarted controller
   * continues counting, even if its engine numbers attempts from 1 again.
   */
  async countAttempt(ctx: CallContext): Promise<number> {
    const steps = (this.world.attempts[ctx.group] ??= {});
    const last = steps[ctx.step];
    if (last && last.transition === ctx.transition && last.attempt === ctx.attempt) return last.count;
    const count = last && last.transition === ctx.transition ? last.count + 1 : 1;
    steps[ctx.step] = { transition: ctx.transition, attempt: ctx.attempt, count };
    await this.save({ attempts: ctx.group });
    return count;
  }

  /** The group's record, if it has any stack. */
  group(cluster: string, namespace: string): SimGroup | undefined {
    return this.world.groups[groupKey(cluster, namespace)];
  }

  /** Writes what changed; resolves when it is on disk. */
  save(change: WorldChange): Promise<void> {
    return this.file.persist(change);
  }
}

/** The error of an injected fault: its class says whether retrying helps. */
function injected(fault: Fault, ctx: CallContext, which: string): Error {
  const text = `sim: injected ${fault.kind} fault for group ${ctx.group} at step ${ctx.step} (${which})${
    fault.message ? `: ${fault.message}` : ''
  }`;
  return fault.kind === 'transient'
    ? new TransientError('InjectedFault', text)
    : new PermanentError('InjectedFault', text);
}
