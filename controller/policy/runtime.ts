/**
 * Policy at run time, pure: may a ring's rollout start now, and may a group
 * change now. Waiting is an answer with a reason, never an error.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Constellation, Group, MaintenanceWindow, Ring } from '../model/types.js';
import { type RolloutRecords, findRecord } from '../state/records.js';
import { activeFreeze } from './freeze.js';

/** Go, or wait with a reason a person understands (and until when, where known). */
export type Verdict =
  { readonly go: true } | { readonly go: false; readonly reason: string; readonly until?: string };

const GO: Verdict = { go: true };

/**
 * May `ring` start moving groups up to its release now? Rollbacks always may.
 * An upgrade waits outside freezes, and until the release has been healthy in
 * the previous ring for that ring's bake time, by the controller's records
 * (unless the previous ring has left the release's line behind: a back-port).
 */
export function mayStartRing(
  c: Constellation,
  ring: Ring,
  records: RolloutRecords,
  now: Date,
  rollback: boolean,
): Verdict {
  if (rollback) return GO;
  const freeze = activeFreeze(c.policy, ring.name, now);
  if (freeze) return { go: false, reason: `freeze ${freeze.name} until ${freeze.to}`, until: freeze.to };
  if (ring.index === 0) return GO;
  const previous = c.rings[ring.index - 1]!;
  const line = c.releases.get(ring.release)!.line;
  if (c.releases.get(previous.release)!.line !== line && !findRecord(records, previous.name, ring.release))
    return GO;
  const bakeMs = c.policy.rings[previous.name]!.bakeMs;
  const record = findRecord(records, previous.name, ring.release);
  if (!record?.healthyAt)
    return { go: false, reason: `waiting for ${ring.release} to be healthy in ${previous.name}` };
  const baked = now.getTime() - Date.parse(record.healthyAt);
  if (baked >= bakeMs) return GO;
  const until = new Date(Date.parse(record.healthyAt) + bakeMs).toISOString();
  return { go: false, reason: `baking in ${previous.name}: ${hours(baked)} of ${hours(bakeMs)}`, until };
}

/** May `group` change now? Only inside its maintenance window where the ring's policy asks for windows. */
export function mayChangeGroup(c: Constellation, group: Group, now: Date): Verdict {
  if (c.policy.rings[group.ring]?.window !== 'maintenance') return GO;
  const mw = group.maintenanceWindow;
  if (!mw) return { go: false, reason: 'no maintenance window defined' };
  return insideWindow(mw, now);
}

/** Is `now` inside the maintenance window `mw`? If not, when it next opens. */
export function insideWindow(mw: MaintenanceWindow, now: Date): Verdict {
  // From a millisecond on: at the very instant a window opens, prev() gives the opening before it.
  const opened = CronExpressionParser.parse(mw.cron, {
    currentDate: new Date(now.getTime() + 1),
    tz: mw.timezone,
  })
    .prev()
    .getTime();
  if (now.getTime() - opened < mw.durationMs) return GO;
  const next = CronExpressionParser.parse(mw.cron, { currentDate: now, tz: mw.timezone })
    .next()
    .toISOString();
  return { go: false, reason: `outside maintenance window; next opens ${next}`, until: next ?? undefined };
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 48 ? `${Math.floor(h / 24)}d` : `${Math.floor(h)}h`;
}
