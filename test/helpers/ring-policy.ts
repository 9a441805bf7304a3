import type { RingPolicy } from '../../controller/model/types.js';

/** A ring's rules for engine tests: no bake, no gate, one group at a time, old stacks retired at once. */
export const RING_POLICY: RingPolicy = Object.freeze({
  bake: '0h',
  bakeMs: 0,
  approvals: 1,
  reviewers: [],
  maxParallel: 1,
  failureBudget: 0,
  gate: 'auto',
  window: 'any',
  directPush: false,
  revertOnRollback: false,
  traffic: [100],
  keepMs: 0,
  backup: true,
});
