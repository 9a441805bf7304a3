/**
 * The status page served at `/`: the constellation at a glance (each ring
 * with its release, progress, state and reason, with the end of its wait
 * where known), the groups that need a look, and the commits the controller
 * followed, newest first. `?ring=NAME` lists every group of one ring. It is
 * rendered from the same `ControllerStatus` as `/api/status`.
 */
import type { CommitRecord } from '../state/commit-log.js';
import type { ControllerStatus, GroupStatusView, MoveView, RingStatusView } from '../state/status-view.js';
import {
  badge,
  commitPath,
  escapeHtml,
  groupPath,
  htmlDocument,
  link,
  table,
  td,
  text,
  utc,
} from './html.js';

export { escapeHtml, renderMessagePage } from './html.js';

/** Groups listed at most on one page; the rest are counted. */
const GROUPS_SHOWN = 500;

/** What the page shows besides the status. */
export interface OverviewExtras {
  /** The commits looked at, newest first. */
  readonly commits?: readonly CommitRecord[];
  /** From a commit status's old-style link (`?commit=SHA&ring=NAME`) or a ring's link (`?ring=NAME`). */
  readonly focus?: { readonly commit?: string; readonly ring?: string };
}

/** "applied → desired", or one release when they agree; "none" before the first transition. */
export function releaseText(group: GroupStatusView): string {
  const applied = group.appliedRelease ?? 'none';
  return applied === group.desiredRelease ? applied : `${applied} → ${group.desiredRelease}`;
}

/** The step under way or waiting, and for one under way when its next health check is due (UTC). */
export function stepText(group: GroupStatusView): string {
  if (!group.step) return '';
  const next = group.state === 'progressing' && group.until ? group.until.slice(11, 19) : undefined;
  return next ? `${group.step} (next check ${next}Z)` : group.step;
}

/** Why a group is where it is, with its snapshot and the end of its wait. */
export function groupWhy(group: GroupStatusView): string {
  return [
    group.reason,
    group.state === 'waiting' && group.until ? `until ${utc(group.until)}` : undefined,
    group.backup && `database snapshot ${group.backup}`,
  ]
    .filter(Boolean)
    .join('; ');
}

function ringRow(ring: RingStatusView): string {
  const why = [ring.reason, ring.until && `until ${utc(ring.until)}`].filter(Boolean).join(' · ');
  const progress = `<progress max="${Math.max(ring.groups, 1)}" value="${ring.onRelease}"></progress> ${ring.onRelease} / ${ring.groups}`;
  return [
    td(link(`/?ring=${encodeURIComponent(ring.name)}`, ring.name)),
    text(ring.release),
    td(badge(ring.state)),
    td(progress, 'progress'),
    td(`${ring.failed} of budget ${ring.failureBudget}`, 'num'),
    td(escapeHtml(why), 'why'),
  ].join('');
}

function groupRow(group: GroupStatusView): string {
  return [
    td(link(groupPath(group.name), group.name)),
    text(group.ring),
    text(releaseText(group)),
    td(badge(group.state)),
    text(stepText(group)),
    td(escapeHtml(group.since ? utc(group.since) : '')),
    td(escapeHtml(groupWhy(group)), 'why'),
  ].join('');
}

function moveRow(m: MoveView): string {
  return [
    td(`${escapeHtml(m.tenant)} <span class="meta">${escapeHtml(m.host)}</span>`),
    td(link(groupPath(m.from), m.from)),
    td(link(groupPath(m.to), m.to)),
    td(badge(m.state)),
    text(m.step ?? ''),
    td(escapeHtml(m.reason ?? ''), 'why'),
  ].join('');
}

function commitRow(c: CommitRecord, followed: string | undefined): string {
  const now = c.commit === followed ? ' <span class="meta">(followed now)</span>' : '';
  const what = c.changes?.length
    ? `<ul class="changes">${c.changes.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`
    : '';
  return [
    td(`<code>${link(commitPath(c.commit), c.commit.slice(0, 12))}</code>${now}`),
    td(badge(c.outcome)),
    td(escapeHtml(utc(c.seenAt))),
    td(`${escapeHtml(c.reason ?? '')}${what}`, 'why'),
  ].join('');
}

/** The status page: see the module comment. */
export function renderStatusPage(full: ControllerStatus, extras: OverviewExtras = {}): string {
  const focus = extras.focus ?? {};
  const ring =
    focus.ring !== undefined && full.rings.some((r) => r.name === focus.ring) ? focus.ring : undefined;
  const groups = ring
    ? full.groups.filter((g) => g.ring === ring)
    : full.groups.filter((g) => g.state !== 'ready');
  const shown = groups.slice(0, GROUPS_SHOWN);
  const more = groups.length - shown.length;
  const ready = full.groups.filter((g) => g.state === 'ready').length;
  const moved =
    focus.commit && full.commit && !full.commit.startsWith(focus.commit)
      ? `The link was for commit ${focus.commit.slice(0, 12)}; this is the state now, at commit ${full.commit.slice(0, 12)}.`
      : undefined;
  const commits = extras.commits ?? [];
  const body = [
    `<h1>${escapeHtml(full.constellation)}</h1>`,
    `<p class="meta">following ${full.commit ? link(commitPath(full.commit), full.commit.slice(0, 12)) : 'no commit yet'} · looked ${escapeHtml(full.reconciledAt ? utc(full.reconciledAt) : 'not yet')}</p>`,
    ...(moved
      ? [
          `<p class="note">${escapeHtml(moved)} ${link(commitPath(focus.commit!), 'What that commit did')}</p>`,
        ]
      : []),
    ...(full.head
      ? [
          `<p class="alert" id="head">${badge(full.head.problem)} ${escapeHtml(`Commit ${full.head.commit.slice(0, 12)} is not followed: ${full.head.reason}`)}</p>`,
        ]
      : []),
    '<h2>Rings</h2>',
    table(
      ['Ring', 'Release', 'State', 'On release', 'Failed', 'Why'],
      full.rings.map(ringRow),
      'No rings.',
      'rings',
    ),
    // A move is carried out by the group the tenant joins: its state, step and reason are the move's.
    ...(full.moves?.length
      ? [
          '<h2>Tenant moves</h2>',
          table(['Tenant', 'From', 'To', 'State', 'Step', 'Why'], full.moves.map(moveRow), '', 'moves'),
        ]
      : []),
    ring
      ? `<h2>Groups of ring ${escapeHtml(ring)}</h2><p class="meta">${link('/', 'All rings')}</p>`
      : `<h2>Groups needing a look</h2><p class="meta">${ready} of ${full.groups.length} groups are ready; the others are listed. Pick a ring to see all its groups.</p>`,
    table(
      ['Group', 'Ring', 'Release', 'State', 'Step', 'Since', 'Why'],
      shown.map(groupRow),
      ring ? 'No groups in this ring.' : 'Every group runs what its ring asks.',
      'groups',
    ),
    ...(more > 0 ? [`<p class="meta">and ${more} more groups not listed</p>`] : []),
    '<h2>Commits</h2>',
    table(
      ['Commit', 'Outcome', 'Seen', 'What it did'],
      commits.map((c) => commitRow(c, full.commit)),
      'No commit looked at yet.',
      'commits',
    ),
  ].join('\n');
  return htmlDocument(`Ringmaster: ${full.constellation}`, body, {
    name: full.constellation,
    meta: ring ? `ring ${ring} only` : undefined,
  });
}
