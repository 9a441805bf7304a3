/**
 * What every page of the status site shares: escaping, the document frame
 * (inline styles, one script of our own, a plain refresh without
 * JavaScript), state badges told apart by symbol and words as well as
 * colour, tables that scroll on a phone, and times in UTC. Every string
 * that reaches a page goes through `escapeHtml` or one of the helpers here:
 * group names, reasons and errors come from repositories and outside systems.
 */

/** Seconds between two refreshes of a page without JavaScript (a meta refresh). */
export const PAGE_REFRESH_SECONDS = 15;

/** Where the page script is served (see live-script.ts). */
export const LIVE_SCRIPT_PATH = '/assets/live.js';

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

/** A link to `href` (a path of ours, or a console address) reading `text`; both escaped. */
export function link(href: string, text: string, options: { external?: boolean } = {}): string {
  const rel = options.external ? ' rel="noopener noreferrer" target="_blank"' : '';
  return `<a href="${escapeHtml(href)}"${rel}>${escapeHtml(text)}</a>`;
}

/** The path of a group's page. */
export function groupPath(group: string): string {
  return `/groups/${encodeURIComponent(group)}`;
}

/** The path of a commit's page. */
export function commitPath(commit: string): string {
  return `/commits/${encodeURIComponent(commit)}`;
}

interface StateLook {
  readonly symbol: string;
  /** The colour family: ok, busy, wait, bad, off. */
  readonly tone: 'ok' | 'busy' | 'wait' | 'bad' | 'off';
}

/** Each state's symbol and colour family: a colour-blind reader or a black-and-white print still tells them apart. */
const STATES: Readonly<Record<string, StateLook>> = {
  ready: { symbol: '✓', tone: 'ok' },
  done: { symbol: '✓', tone: 'ok' },
  succeeded: { symbol: '✓', tone: 'ok' },
  followed: { symbol: '✓', tone: 'ok' },
  success: { symbol: '✓', tone: 'ok' },
  pending: { symbol: '∥', tone: 'wait' },
  failure: { symbol: '✗', tone: 'bad' },
  error: { symbol: '‼', tone: 'bad' },
  progressing: { symbol: '▶', tone: 'busy' },
  rolling: { symbol: '▶', tone: 'busy' },
  running: { symbol: '▶', tone: 'busy' },
  started: { symbol: '▶', tone: 'busy' },
  'rolling-back': { symbol: '↩', tone: 'busy' },
  compensating: { symbol: '↩', tone: 'busy' },
  waiting: { symbol: '∥', tone: 'wait' },
  unjudged: { symbol: '∥', tone: 'wait' },
  superseded: { symbol: '»', tone: 'off' },
  skipped: { symbol: '–', tone: 'off' },
  compensated: { symbol: '↩', tone: 'off' },
  suspended: { symbol: '○', tone: 'off' },
  held: { symbol: '✗', tone: 'bad' },
  'rolled-back': { symbol: '✗', tone: 'bad' },
  failed: { symbol: '✗', tone: 'bad' },
  halted: { symbol: '■', tone: 'bad' },
  invalid: { symbol: '✗', tone: 'bad' },
  refused: { symbol: '✗', tone: 'bad' },
  rewritten: { symbol: '✗', tone: 'bad' },
  emergency: { symbol: '‼', tone: 'bad' },
};

/** A badge for `state`: its symbol and word, coloured by family; unknown states are shown plain. */
export function badge(state: string): string {
  const look = STATES[state] ?? { symbol: '·', tone: 'off' };
  return `<span class="badge ${look.tone}" data-state="${escapeHtml(state)}"><span aria-hidden="true">${look.symbol}</span> ${escapeHtml(state)}</span>`;
}

/** `2026-12-07 14:00 UTC` (seconds when they are not zero). */
export function utc(iso: string): string {
  const seconds = iso.slice(17, 19);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds && seconds !== '00' ? `:${seconds}` : ''} UTC`;
}

/** `4.2 s`, `28m20s`, `16h28m`. */
export function took(total: number): string {
  if (total < 60) return `${total} s`;
  const s = Math.round(total);
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return h > 0 ? `${h}h${m}m` : `${m}m${s % 60}s`;
}

/** A cell: `html` is markup already escaped; use `text` for plain strings. */
export function td(html: string, className?: string): string {
  return className ? `<td class="${className}">${html}</td>` : `<td>${html}</td>`;
}

/** A cell holding `text`, escaped. */
export function text(value: string | undefined): string {
  return td(escapeHtml(value ?? ''));
}

/** A table that scrolls sideways on a narrow screen; `empty` is said instead when there are no rows. */
export function table(
  headers: readonly string[],
  rows: readonly string[],
  empty: string,
  id?: string,
): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r}</tr>`).join('\n');
  const attr = id ? ` id="${escapeHtml(id)}"` : '';
  return `<div class="scroll"><table${attr}>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

/** A definition list of label → markup (already escaped); empty values are left out. */
export function facts(items: readonly (readonly [string, string | undefined])[]): string {
  const rows = items
    .filter((i): i is readonly [string, string] => i[1] !== undefined && i[1] !== '')
    .map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${value}</dd>`);
  return `<dl class="facts">${rows.join('')}</dl>`;
}

const STYLE = `
:root { color-scheme: light; --ok: #17702e; --busy: #0b57d0; --wait: #8a5a00; --bad: #b3261e; --off: #5f6368; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f1f1f; background: #fafafa; }
header.top { background: #1f2937; color: #fff; padding: .6rem 1rem; display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: baseline; }
header.top a { color: #fff; text-decoration: none; font-weight: 600; }
header.top .meta { color: #d1d5db; font-size: .85rem; }
#live-state { margin-left: auto; font-size: .8rem; color: #d1d5db; }
main { padding: .75rem 1rem 2rem; max-width: 80rem; }
h1 { font-size: 1.35rem; margin: .5rem 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
.meta { color: #5f6368; margin: 0; font-size: .9rem; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; background: #fff; min-width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
td.why { min-width: 14rem; max-width: 40rem; overflow-wrap: break-word; }
.empty { color: #5f6368; }
.alert { border-left: 4px solid var(--bad); background: #fdecea; padding: .5rem .75rem; margin: .75rem 0; overflow-wrap: break-word; }
.note { border-left: 4px solid var(--wait); background: #fff8e1; padding: .5rem .75rem; margin: .75rem 0; }
.badge { display: inline-block; white-space: nowrap; font-weight: 600; border-radius: .25rem; padding: 0 .35rem; border: 1px solid currentColor; }
.badge.ok { color: var(--ok); } .badge.busy { color: var(--busy); } .badge.wait { color: var(--wait); }
.badge.bad { color: #fff; background: var(--bad); border-color: var(--bad); }
.badge.off { color: var(--off); border-style: dashed; }
progress { width: 8rem; height: .9rem; vertical-align: middle; }
.progress { white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0; }
dl.facts dt { color: #5f6368; } dl.facts dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
ul.changes { margin: .25rem 0; padding-left: 1.25rem; }
ul.consoles { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
ul.consoles a { display: inline-block; padding: .25rem .6rem; border: 1px solid #9ca3af; border-radius: .25rem; background: #fff; text-decoration: none; }
article.transition { background: #fff; border: 1px solid #e5e7eb; border-radius: .25rem; padding: .25rem .75rem .75rem; margin: .75rem 0; }
code { font-size: .9em; }
section.marked { border-left: 4px solid var(--busy); padding-left: .75rem; }
@media (max-width: 40rem) {
  body { font-size: 14px; }
  main { padding: .5rem; }
  th, td { padding: .25rem .4rem; }
  dl.facts { grid-template-columns: 1fr; } dl.facts dt { margin-top: .3rem; }
}
`;

/**
 * A whole page: the bar with the constellation's name, then `body` inside
 * `<main id="live">`, the part the script replaces with a fresh copy. Without
 * JavaScript the page reloads itself every PAGE_REFRESH_SECONDS.
 */
export function htmlDocument(
  title: string,
  body: string,
  bar: { name?: string; meta?: string } = {},
): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<noscript><meta http-equiv="refresh" content="${PAGE_REFRESH_SECONDS}"></noscript>`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    `<script src="${LIVE_SCRIPT_PATH}" defer></script>`,
    '</head>',
    '<body>',
    `<header class="top"><a href="/">Ringmaster${bar.name ? `: ${escapeHtml(bar.name)}` : ''}</a>${
      bar.meta ? `<span class="meta">${escapeHtml(bar.meta)}</span>` : ''
    }<span id="live-state" role="status"></span></header>`,
    `<main id="live">\n${body}\n</main>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** A page that says only `message`, for when there is nothing else to show. */
export function renderMessagePage(title: string, message: string): string {
  return htmlDocument(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
