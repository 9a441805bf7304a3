/**
 * The status page served at `/`: one self-contained HTML document (inline
 * styles, no scripts, no external assets) rendered from the same
 * `ControllerStatus` as `/api/status`. Every string taken from the status is
 * escaped, because group reasons and names come from repository content and
 * error messages.
 */
import type { ControllerStatus, GroupStatusView, RingStatusView } from '../state/status-view.js';

/** Seconds between automatic reloads of the page (a meta refresh; no script needed). */
export const PAGE_REFRESH_SECONDS = 15;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` with the five HTML-significant characters escaped; safe in element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.meta { color: #666; margin: 0; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .25rem .75rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f4f4f4; }
.num { text-align: right; }
.empty { color: #666; }
.alert { color: #b3261e; font-weight: 600; margin: .5rem 0 0; }
.state { font-weight: 600; }
.state-ready, .state-done { color: #17702e; }
.state-progressing, .state-rolling, .state-waiting { color: #8a5a00; }
.state-held, .state-halted, .state-emergency, .state-suspended { color: #b3261e; }
`;

/** A table cell holding `text`, escaped. */
function cell(text: string, className?: string): string {
  const cls = className === undefined ? '' : ` class="${escapeHtml(className)}"`;
  return `<td${cls}>${escapeHtml(text)}</td>`;
}

function stateCell(state: string): string {
  return cell(state, `state state-${state}`);
}

function table(headers: readonly string[], rows: readonly string[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r}</tr>`).join('\n');
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function ringRow(ring: RingStatusView): string {
  return [
    cell(ring.name),
    cell(ring.release),
    stateCell(ring.state),
    cell(`${ring.onRelease} / ${ring.groups}`, 'num'),
    cell(String(ring.failed), 'num'),
    cell(ring.reason ?? ''),
  ].join('');
}

/** "applied → desired", or one release when they agree; "none" before the first transition. */
export function releaseText(group: GroupStatusView): string {
  const applied = group.appliedRelease ?? 'none';
  return applied === group.desiredRelease ? applied : `${applied} → ${group.desiredRelease}`;
}

function groupRow(group: GroupStatusView): string {
  return [
    cell(group.name),
    cell(group.ring),
    cell(releaseText(group)),
    stateCell(group.state),
    cell(stepText(group)),
    cell([group.reason, group.backup && `database snapshot ${group.backup}`].filter(Boolean).join('; ')),
  ].join('');
}

/** The step under way or waiting, and for one under way when its next health check is due (UTC). */
export function stepText(group: GroupStatusView): string {
  if (!group.step) return '';
  const next = group.state === 'progressing' && group.until ? group.until.slice(11, 19) : undefined;
  return next ? `${group.step} (next check ${next}Z)` : group.step;
}

function htmlDocument(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="refresh" content="${PAGE_REFRESH_SECONDS}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * The status page for `status`: a header, the rings and the groups. A link
 * from a commit status names its ring (only that ring and its groups are
 * shown) and its commit (the page says when the controller has moved on).
 */
export function renderStatusPage(
  full: ControllerStatus,
  focus: { readonly commit?: string; readonly ring?: string } = {},
): string {
  const ring =
    focus.ring !== undefined && full.rings.some((r) => r.name === focus.ring) ? focus.ring : undefined;
  const status = ring
    ? {
        ...full,
        rings: full.rings.filter((r) => r.name === ring),
        groups: full.groups.filter((g) => g.ring === ring),
      }
    : full;
  const meta = [
    `commit ${status.commit ?? 'not read yet'}`,
    `reconciled ${status.reconciledAt ?? 'not yet'}`,
    ...(ring ? [`ring ${ring} only`] : []),
  ].join(' · ');
  const moved =
    focus.commit && status.commit && !status.commit.startsWith(focus.commit)
      ? `The link was for commit ${focus.commit.slice(0, 12)}; this is the state now, at commit ${status.commit.slice(0, 12)}.`
      : undefined;
  const body = [
    `<h1>Ringmaster: ${escapeHtml(status.constellation)}</h1>`,
    `<p class="meta">${escapeHtml(meta)}</p>`,
    ...(moved ? [`<p class="meta">${escapeHtml(moved)}</p>`] : []),
    ...(status.head
      ? [
          `<p class="alert">${escapeHtml(`Commit ${status.head.commit.slice(0, 12)} is not followed: ${status.head.reason}`)}</p>`,
        ]
      : []),
    '<h2>Rings</h2>',
    table(
      ['Ring', 'Release', 'State', 'On release / groups', 'Failed', 'Reason'],
      status.rings.map(ringRow),
      'No rings.',
    ),
    '<h2>Groups</h2>',
    table(['Group', 'Ring', 'Release', 'State', 'Step', 'Reason'], status.groups.map(groupRow), 'No groups.'),
  ].join('\n');
  return htmlDocument(`Ringmaster: ${status.constellation}`, body);
}

/** A page that says only `message`, for when there is no status to show. */
export function renderMessagePage(title: string, message: string): string {
  return htmlDocument(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
