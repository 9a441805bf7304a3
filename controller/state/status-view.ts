/**
 * The controller's status as people and tools read it: `ringmaster status`,
 * `/api/status` and the status page all show this one shape.
 */

/** One word for where a group stands. */
export type GroupState = 'ready' | 'progressing' | 'waiting' | 'held' | 'emergency' | 'suspended';

export interface GroupStatusView {
  readonly name: string;
  readonly ring: string;
  /** The release the group runs; absent before its first transition. */
  readonly appliedRelease?: string;
  readonly desiredRelease: string;
  readonly state: GroupState;
  /** Why it waits, is held or in emergency. */
  readonly reason?: string;
  /** The transition in progress or last run. */
  readonly transition?: string;
  /** The step under way or waiting, while a transition is open. */
  readonly step?: string;
  /** When its current state began, where known (ISO 8601). */
  readonly since?: string;
  /** When a wait with a known end ends, or the next health check is due (ISO 8601). */
  readonly until?: string;
  /** The manual snapshot of the group's database taken before its latest migration (being taken, or kept). */
  readonly backup?: string;
}

export type RingState = 'done' | 'rolling' | 'waiting' | 'halted';

export interface RingStatusView {
  readonly name: string;
  readonly release: string;
  readonly state: RingState;
  readonly groups: number;
  /** Groups running the ring's release. */
  readonly onRelease: number;
  /** Groups held (rolled back, or never deployed) or in emergency. */
  readonly failed: number;
  /** Failed groups the ring tolerates before its rollout halts (the policy's failureBudget). */
  readonly failureBudget: number;
  readonly reason?: string;
  /** When the ring's wait ends, where known (a bake, a freeze, a window; ISO 8601). */
  readonly until?: string;
}

export interface TransitionView {
  readonly id: string;
  readonly group: string;
  readonly status: string;
  readonly reason?: string;
  readonly startedAt: string;
  readonly endedAt?: string;
}

/**
 * A tenant the followed commit moves from one group to another, not applied
 * yet: where its move stands, as the group it joins (which carries it out)
 * stands.
 */
export interface MoveView {
  readonly tenant: string;
  readonly host: string;
  readonly from: string;
  readonly to: string;
  readonly state: GroupState;
  readonly step?: string;
  readonly reason?: string;
}

/** A newer head the controller does not follow, and why. */
export interface HeadProblem {
  readonly commit: string;
  /** `invalid`: it does not validate; `refused`: a commit lacks approval; `rewritten`: a force push; `unjudged`: GitHub could not be asked. */
  readonly problem: 'invalid' | 'refused' | 'rewritten' | 'unjudged';
  readonly reason: string;
}

export interface ControllerStatus {
  readonly constellation: string;
  /** The commit the desired state was read from. */
  readonly commit?: string;
  readonly reconciledAt?: string;
  readonly rings: readonly RingStatusView[];
  readonly groups: readonly GroupStatusView[];
  readonly transitions: readonly TransitionView[];
  /** A newer head not followed, and why; absent when the head is followed. */
  readonly head?: HeadProblem;
  /** Tenant moves the followed commit asks for and that are not applied yet; absent when there are none. */
  readonly moves?: readonly MoveView[];
}
