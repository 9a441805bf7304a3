import type { PlannedTransition } from '../plan/transitions.js';
import type { RunPreview } from '../plan/admission.js';
import { describeMove } from '../plan/tenant-moves.js';
import type { ControllerStatus, GroupStatusView } from '../state/status-view.js';
import { PLAIN, type Style } from './style.js';
import { formatTable } from './table.js';

/** The status as two tables a person reads at a glance; `style` marks the states on a terminal. */
export function renderStatus(s: ControllerStatus, style: Style = PLAIN): string {
  // The state is the third column of both tables.
  const rings = formatTable(
    ['RING', 'RELEASE', 'STATE', 'ON RELEASE', 'FAILED', 'REASON'],
    s.rings.map((r) => [
      r.name,
      r.release,
      style.stateText(r.state),
      `${r.onRelease}/${r.groups}`,
      String(r.failed),
      r.reason ?? '',
    ]),
    (column, cell, padded) => (column === 2 ? style.paint(stateOf(cell), padded) : padded),
  );
  const groups = formatTable(
    ['GROUP', 'RING', 'STATE', 'APPLIED', 'DESIRED', 'REASON'],
    s.groups.map((g) => [
      g.name,
      g.ring,
      style.stateText(g.state),
      g.appliedRelease ?? '-',
      g.desiredRelease,
      groupReason(g),
    ]),
    (column, cell, padded) => (column === 2 ? style.paint(stateOf(cell), padded) : padded),
  );
  const title = `Constellation ${s.constellation} at commit ${s.commit?.slice(0, 12) ?? '?'}`;
  const head = s.head && `\n\n✗ head ${s.head.commit.slice(0, 12)} is not followed: ${s.head.reason}`;
  const moves = s.moves?.length
    ? `\n\nTenant moves:\n${s.moves.map((m) => `  ${describeMove(m)}: ${[m.state, m.step && `step ${m.step}`, m.reason].filter(Boolean).join('; ')}`).join('\n')}`
    : '';
  return `${title}\n\n${rings}\n\n${groups}${moves}${head ?? ''}`;
}

/** What `run` would do now, from the same preview `run` uses. */
export function renderPreview(p: RunPreview): string {
  const line = (t: PlannedTransition) =>
    `  ${t.id.padEnd(28)} ${t.ring.padEnd(8)} ${t.retryOf ? `(retry of ${t.retryOf}) ` : ''}${t.details.join('; ')}`;
  // A group a move touches waits (see previewRun): it is listed once, with the waits.
  const blocked = p.plan.blocked.filter((b) => b.reason !== 'move');
  const out = [
    `Plan for commit ${p.plan.commit.slice(0, 12)}: ${p.admitted.length} would start, ${p.waiting.length} wait, ${blocked.length} blocked, ${p.plan.upToDate} up to date`,
  ];
  if (p.plan.moves.length) out.push('', 'Tenant moves:', ...p.plan.moves.map((m) => `  ${describeMove(m)}`));
  if (p.admitted.length)
    out.push(
      '',
      "Would start (in this order, in waves of each ring's maxParallel):",
      ...p.admitted.map(line),
    );
  if (p.waiting.length)
    out.push('', 'Would wait:', ...p.waiting.map((w) => `  ${w.group.padEnd(28)} ${w.reason}`));
  if (blocked.length) out.push('', 'Blocked:', ...blocked.map((b) => `  ${b.group.padEnd(28)} ${b.message}`));
  return out.join('\n');
}

/** The state word of a state cell (after its symbol, when it has one). */
function stateOf(cell: string): string {
  return cell.slice(cell.lastIndexOf(' ') + 1);
}

/** Why a group stands where it does, with the step under way and when its next health check is due. */
function groupReason(g: GroupStatusView): string {
  const progressing = g.state === 'progressing';
  const step = g.step && progressing ? `step ${g.step}` : '';
  // A wait's reason says until when itself (a freeze, a window, a bake, a keep).
  const next = g.until && progressing ? `next check ${g.until.slice(0, 19).replace('T', ' ')}Z` : '';
  return [step, g.reason ?? '', next].filter(Boolean).join('; ');
}
