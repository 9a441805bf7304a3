/**
 * A group's page (`/groups/NAME`): where it stands, its resources and
 * tenants, links to its consoles, and its transitions newest first, each
 * with its steps (start, duration, attempts, outcome, error). The first page
 * to open when a group is paged about.
 */
import type { ConsoleLink } from '../providers/consoles.js';
import type { Group } from '../model/types.js';
import type { HistoryItem } from '../state/history-view.js';
import type { GroupStatusView } from '../state/status-view.js';
import {
  badge,
  commitPath,
  escapeHtml,
  facts,
  htmlDocument,
  link,
  table,
  td,
  text,
  took,
  utc,
} from './html.js';
import { groupWhy, releaseText, stepText } from './status-page.js';

/** What a group's page is built from. */
export interface GroupPageFacts {
  readonly constellation: string;
  readonly name: string;
  /** Where it stands; absent when the commit followed no longer has the group. */
  readonly status?: GroupStatusView;
  /** The group as the commit followed declares it. */
  readonly group?: Group;
  readonly consoles: readonly ConsoleLink[];
  /** Its transitions, newest first. */
  readonly transitions: readonly HistoryItem[];
}

function resources(group: Group): string {
  const { cluster, namespace, database, secrets } = group.resources;
  return facts([
    ['Cluster', escapeHtml(cluster)],
    ['Namespace', escapeHtml(namespace)],
    [
      'Database',
      escapeHtml(`${database.instance} (${database.engine}${database.region ? `, ${database.region}` : ''})`),
    ],
    [
      'Secrets',
      secrets
        .map((s) => `${escapeHtml(s.name)} <span class="meta">(${escapeHtml(s.keys.join(', '))})</span>`)
        .join('<br>') || 'none',
    ],
    [
      'Maintenance window',
      group.maintenanceWindow &&
        escapeHtml(
          `${group.maintenanceWindow.cron} for ${group.maintenanceWindow.duration} (${group.maintenanceWindow.timezone})`,
        ),
    ],
    ['Declared in', `<code>${escapeHtml(group.file)}</code>`],
  ]);
}

function tenants(group: Group): string {
  return table(
    ['Tenant', 'Host', 'Language', 'UTC offset', 'Test tenant of'],
    group.tenants.map((t) =>
      [text(t.id), text(t.host), text(t.language), text(t.utcOffset), text(t.testOf)].join(''),
    ),
    'No tenants.',
  );
}

function transition(t: HistoryItem): string {
  const releases = `${t.from ?? '(new)'} → ${t.to ?? '(removed)'}`;
  const when = `${utc(t.startedAt)}${t.endedAt ? ` – ${utc(t.endedAt)}` : ''}`;
  const steps = table(
    ['Step', 'Outcome', 'Started', 'Took', 'Attempts', 'Error'],
    t.steps.map((s) =>
      [
        text(s.name),
        td(badge(s.status)),
        text(utc(s.startedAt)),
        td(escapeHtml(s.seconds === undefined ? '' : took(s.seconds)), 'num'),
        td(String(s.attempts), 'num'),
        td(escapeHtml([s.error, s.undoError && `undo: ${s.undoError}`].filter(Boolean).join('; ')), 'why'),
      ].join(''),
    ),
    'No step started yet.',
  );
  return [
    `<article class="transition" data-transition="${escapeHtml(t.id)}">`,
    `<h3>${badge(t.status)} ${escapeHtml(releases)} <span class="meta">ring ${escapeHtml(t.ring)} · commit ${link(commitPath(t.commit), t.commit.slice(0, 12))}</span></h3>`,
    `<p class="meta">${escapeHtml(`${t.id} · ${when}`)}</p>`,
    ...(t.reason ? [`<p class="why">${escapeHtml(t.reason)}</p>`] : []),
    steps,
    '</article>',
  ].join('\n');
}

/** The group's page: see the module comment. */
export function renderGroupPage(f: GroupPageFacts): string {
  const s = f.status;
  const body = [
    `<h1>Group ${escapeHtml(f.name)} ${s ? badge(s.state) : ''}</h1>`,
    s
      ? facts([
          ['Ring', link(`/?ring=${encodeURIComponent(s.ring)}`, s.ring)],
          ['Release', escapeHtml(releaseText(s))],
          ['Step', escapeHtml(stepText(s))],
          ['Since', s.since && escapeHtml(utc(s.since))],
          ['Until', s.until && escapeHtml(utc(s.until))],
          ['Why', escapeHtml(groupWhy(s))],
        ])
      : '<p class="note">The commit followed no longer has this group; its transitions are kept below.</p>',
    ...(f.consoles.length
      ? [
          '<h2>Consoles</h2>',
          `<ul class="consoles">${f.consoles.map((c) => `<li>${link(c.url, c.name, { external: true })}</li>`).join('')}</ul>`,
        ]
      : []),
    ...(f.group
      ? [
          '<h2>Resources</h2>',
          resources(f.group),
          `<h2>Tenants (${f.group.tenants.length})</h2>`,
          tenants(f.group),
        ]
      : []),
    `<h2>Transitions</h2>`,
    f.transitions.length
      ? f.transitions.map(transition).join('\n')
      : '<p class="empty">No transition yet.</p>',
  ].join('\n');
  return htmlDocument(`${f.name} · Ringmaster: ${f.constellation}`, body, {
    name: f.constellation,
    meta: `group ${f.name}`,
  });
}
