/**
 * A commit's page (`/commits/SHA`, the `target_url` of its statuses): what
 * became of it (followed, passed over, refused and why), what it changed,
 * and its rollout ring by ring: each ring's transitions of that commit with
 * their outcome, and for the commit followed now each ring's progress.
 */
import type { CommitRecord } from '../state/commit-log.js';
import type { HistoryItem } from '../state/history-view.js';
import type { RingStatusView } from '../state/status-view.js';
import type { RecordedStatus } from '../status/reporter.js';
import { badge, escapeHtml, facts, groupPath, htmlDocument, link, table, td, text, utc } from './html.js';

/** What a commit's page is built from. */
export interface CommitPageFacts {
  readonly constellation: string;
  /** The commit asked for (a prefix, or whole). */
  readonly commit: string;
  readonly record?: CommitRecord;
  /** The commit the controller follows now. */
  readonly followed?: string;
  /** The rings in order, with their status now. */
  readonly rings: readonly RingStatusView[];
  /** The transitions of this commit, newest first. */
  readonly transitions: readonly HistoryItem[];
  /** The ring a status link was for: its section is marked. */
  readonly ring?: string;
  /** The statuses written on it (latest per context), or why they could not be read; absent when not asked. */
  readonly statuses?: readonly RecordedStatus[] | Error;
}

function statusesSection(statuses: CommitPageFacts['statuses']): string[] {
  if (statuses === undefined) return [];
  if (statuses instanceof Error)
    return [
      '<h2>Statuses</h2>',
      `<p class="note">${escapeHtml(`The statuses could not be read: ${statuses.message}`)}</p>`,
    ];
  return [
    '<h2>Statuses</h2>',
    table(
      ['Context', 'State', 'Description', 'Written'],
      statuses.map((s) =>
        [
          text(s.context),
          td(badge(s.state)),
          td(escapeHtml(s.description), 'why'),
          text(utc(s.createdAt)),
        ].join(''),
      ),
      'No status written on this commit.',
      'statuses',
    ),
  ];
}

function ringSection(
  ring: string,
  status: RingStatusView | undefined,
  transitions: readonly HistoryItem[],
  now: boolean,
  marked: boolean,
): string {
  const counts = new Map<string, number>();
  for (const t of transitions) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ') || 'no transition';
  const progress =
    now && status
      ? ` · now ${badge(status.state)} ${status.onRelease} / ${status.groups} on ${escapeHtml(status.release)}${status.reason ? ` · ${escapeHtml(status.reason)}` : ''}`
      : '';
  return [
    `<section id="ring-${escapeHtml(ring)}"${marked ? ' class="marked"' : ''}>`,
    `<h2>Ring ${escapeHtml(ring)}</h2>`,
    `<p class="meta">${escapeHtml(summary)}${progress}</p>`,
    table(
      ['Group', 'Outcome', 'Release', 'Started', 'Ended', 'Why'],
      transitions.map((t) =>
        [
          td(link(groupPath(t.group), t.group)),
          td(badge(t.status)),
          text(`${t.from ?? '(new)'} → ${t.to ?? '(removed)'}`),
          text(utc(t.startedAt)),
          text(t.endedAt && utc(t.endedAt)),
          td(escapeHtml(t.reason ?? ''), 'why'),
        ].join(''),
      ),
      'No group of this ring moved with this commit.',
    ),
    '</section>',
  ].join('\n');
}

/** The commit's page: see the module comment. */
export function renderCommitPage(f: CommitPageFacts): string {
  const r = f.record;
  const full = r?.commit ?? f.transitions[0]?.commit ?? f.commit;
  const now = f.followed !== undefined && f.followed === full;
  const byRing = new Map<string, HistoryItem[]>();
  for (const t of f.transitions) byRing.set(t.ring, [...(byRing.get(t.ring) ?? []), t]);
  const order = [
    ...f.rings.map((x) => x.name),
    ...[...byRing.keys()].filter((x) => !f.rings.some((y) => y.name === x)),
  ];
  // The rings it moved, or that moved groups with it; the followed commit shows every ring.
  const shown = order.filter((ring) => now || byRing.has(ring) || r?.rings?.includes(ring));
  const body = [
    `<h1>Commit <code>${escapeHtml(full.slice(0, 12))}</code> ${r ? badge(r.outcome) : ''}</h1>`,
    facts([
      ['Commit', `<code>${escapeHtml(full)}</code>`],
      [
        'Followed now',
        now
          ? 'yes'
          : f.followed
            ? `no: the controller follows ${link(`/commits/${f.followed}`, f.followed.slice(0, 12))}`
            : undefined,
      ],
      ['Committed', r?.committedAt && escapeHtml(utc(r.committedAt))],
      ['Seen', r && escapeHtml(utc(r.seenAt))],
      ['Why', r?.reason && escapeHtml(r.reason)],
      [
        'What it changed',
        r?.changes?.length
          ? `<ul class="changes">${r.changes.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`
          : undefined,
      ],
    ]),
    ...(!r && !f.transitions.length
      ? [
          '<p class="note">The controller has no record of this commit: it may be older than what it keeps, or not on the branch it follows.</p>',
        ]
      : []),
    ...statusesSection(f.statuses),
    ...shown.map((ring) =>
      ringSection(
        ring,
        f.rings.find((x) => x.name === ring),
        byRing.get(ring) ?? [],
        now,
        ring === f.ring,
      ),
    ),
  ].join('\n');
  return htmlDocument(`${full.slice(0, 12)} · Ringmaster: ${f.constellation}`, body, {
    name: f.constellation,
    meta: `commit ${full.slice(0, 12)}`,
  });
}
