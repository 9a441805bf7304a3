import type { ControllerStatus } from '../../controller/state/status-view.js';

/** A controller status with a ring in each of two states and groups in three states. */
export const STATUS: ControllerStatus = {
  constellation: 'acme-prod',
  commit: 'c'.repeat(40),
  reconciledAt: '2026-11-22T10:00:00.000Z',
  rings: [
    {
      name: 'canary',
      release: '2026.11.2',
      state: 'done',
      groups: 2,
      onRelease: 2,
      failed: 0,
      failureBudget: 0,
    },
    {
      name: 'early',
      release: '2026.11.2',
      state: 'halted',
      groups: 1,
      onRelease: 0,
      failed: 1,
      failureBudget: 0,
      reason: 'failure budget spent',
    },
  ],
  groups: [
    {
      name: 'initech',
      ring: 'canary',
      appliedRelease: '2026.11.2',
      desiredRelease: '2026.11.2',
      state: 'ready',
    },
    {
      name: 'hooli',
      ring: 'canary',
      appliedRelease: '2026.11.2',
      desiredRelease: '2026.11.2',
      state: 'ready',
    },
    {
      name: 'globex',
      ring: 'early',
      appliedRelease: '2026.11.0',
      desiredRelease: '2026.11.2',
      state: 'held',
      reason: 'verify failed: <script>alert("x")</script> & more',
      transition: `globex@${'c'.repeat(12)}`,
    },
  ],
  transitions: [
    {
      id: `globex@${'c'.repeat(12)}`,
      group: 'globex',
      status: 'rolled-back',
      reason: 'verify failed',
      startedAt: '2026-11-22T09:50:00.000Z',
      endedAt: '2026-11-22T09:55:00.000Z',
    },
  ],
};
