/**
 * The group and commit pages of the controller's server, on a real journal
 * folder and commit log: what an operator opens when paged. Everything from
 * repositories and outside systems is escaped; console links come from the
 * providers file's templates.
 */
import { pino } from 'pino';
import type { JournalEntry } from '../../controller/engine/journal.js';
import type { Group } from '../../controller/model/types.js';
import { consoleLinks } from '../../controller/providers/consoles.js';
import { type RunningServer, startServer } from '../../controller/server/http.js';
import { createMetrics } from '../../controller/server/metrics.js';
import { CommitLog } from '../../controller/state/commit-log.js';
import { historyItem } from '../../controller/state/history-view.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { groupSnapshot } from '../helpers/group-snapshot.js';
import { STATUS } from './status-fixture.js';

const HOSTILE = '<img src=x onerror="alert(1)">';
const C = 'c'.repeat(40);
const A = 'a'.repeat(40);

const GLOBEX: Group = {
  name: 'globex',
  ring: 'early',
  suspended: false,
  resources: {
    cluster: 'eu-1',
    namespace: 'globex',
    database: { instance: 'globex-db', engine: 'postgres', region: 'eu-west-1' },
    secrets: [{ name: 'globex/app', keys: ['DB_PASSWORD', 'API_KEY'] }],
  },
  tenants: [
    { id: 'globex', host: 'globex.example.com', language: 'en', utcOffset: '+01:00' },
    {
      id: 'globex-test',
      host: 'test.globex.example.com',
      language: 'en',
      utcOffset: '+01:00',
      testOf: 'globex',
    },
  ],
  file: 'groups/early/globex.yaml',
};

function rolledBack(): JournalEntry {
  return {
    id: `globex@${C.slice(0, 12)}`,
    group: 'globex',
    ring: 'early',
    commit: C,
    from: groupSnapshot('2026.11.0'),
    to: groupSnapshot('2026.11.2'),
    status: 'rolled-back',
    reason: `verify failed: ${HOSTILE}`,
    startedAt: '2026-11-22T09:50:00.000Z',
    endedAt: '2026-11-22T09:55:00.000Z',
    steps: [
      {
        name: 'validate',
        status: 'done',
        attempts: 1,
        startedAt: '2026-11-22T09:50:00.000Z',
        endedAt: '2026-11-22T09:50:02.000Z',
      },
      {
        name: 'verify',
        status: 'failed',
        attempts: 3,
        startedAt: '2026-11-22T09:51:00.000Z',
        endedAt: '2026-11-22T09:54:30.000Z',
        error: `health check failed: ${HOSTILE}`,
      },
    ],
  };
}

describe('group and commit pages', () => {
  let dir: string;
  let journal: FileJournalStore;
  let commits: CommitLog;
  let server: RunningServer;
  beforeAll(async () => {
    dir = await makeTempDir();
    journal = new FileJournalStore(`${dir}/journal`);
    await journal.save(rolledBack());
    commits = new CommitLog(`${dir}/commits.json`);
    await commits.add({
      commit: A,
      outcome: 'followed',
      seenAt: '2026-11-21T08:00:00.000Z',
      changes: ['followed at start: 2 rings, 3 groups (no commit before it to compare with)'],
      rings: ['canary', 'early'],
    });
    await commits.add({
      commit: C,
      outcome: 'followed',
      seenAt: '2026-11-22T09:49:00.000Z',
      committedAt: '2026-11-22T09:48:00.000Z',
      changes: ['ring early: 2026.11.0 → 2026.11.2'],
      rings: ['early'],
    });
    await commits.add({
      commit: 'd'.repeat(40),
      outcome: 'refused',
      seenAt: '2026-11-22T09:58:00.000Z',
      reason: HOSTILE,
    });
    const templates = [
      { name: 'Grafana', url: 'https://grafana.example.com/d/t?var-ns={namespace}&var-cluster={cluster}' },
      { name: 'RDS', url: 'https://console.aws.example/rds/home?region={region}#database:id={database}' },
    ];
    const { registry } = createMetrics({ defaultMetrics: false });
    server = await startServer({
      port: 0,
      getStatus: async () => STATUS,
      isReady: () => true,
      registry,
      log: pino({ level: 'silent' }),
      getHistory: async (query, limit) => (await journal.history(query)).slice(0, limit).map(historyItem),
      getCommits: async (limit) => (await commits.list()).slice(0, limit),
      getCommitStatuses: async (sha) => {
        if (sha !== C) throw new Error('GitHub answered 502');
        return [
          {
            context: 'ringmaster/early',
            state: 'failure',
            description: `early: 0/1 groups on 2026.11.2 · halted: ${HOSTILE}`,
            createdAt: '2026-11-22T09:55:01.000Z',
          },
        ];
      },
      getGroup: async (name) =>
        name === 'globex'
          ? { group: GLOBEX, consoles: consoleLinks(templates, GLOBEX, undefined) }
          : { consoles: [] },
    });
  });
  afterAll(async () => {
    await server.close();
    await journal.close();
    await removeDir(dir);
  });

  const page = async (path: string) => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, html: await res.text() };
  };

  it("shows a group's state, resources, tenants, consoles and each transition's steps", async () => {
    const { status, html } = await page('/groups/globex');
    expect(status).toBe(200);
    expect(html).toContain('<h1>Group globex <span class="badge bad" data-state="held">');
    expect(html).toContain('<dt>Namespace</dt><dd>globex</dd>');
    expect(html).toContain('globex-db (postgres, eu-west-1)');
    expect(html).toContain('globex/app <span class="meta">(DB_PASSWORD, API_KEY)</span>');
    expect(html).toContain('<td>test.globex.example.com</td>');
    expect(html).toContain(
      '<a href="https://grafana.example.com/d/t?var-ns=globex&amp;var-cluster=eu-1" rel="noopener noreferrer" target="_blank">Grafana</a>',
    );
    expect(html).toContain('region=eu-west-1#database:id=globex-db');
    expect(html).toContain(`<a href="/commits/${C}">${C.slice(0, 12)}</a>`);
    expect(html).toContain('<td>verify</td>');
    expect(html).toContain('<td class="num">3m30s</td><td class="num">3</td>');
    expect(html).toContain('health check failed: &lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(html).not.toContain('<img');
  });

  it('answers 404 for a group neither followed nor journaled, and for a name that is not one', async () => {
    expect((await page('/groups/nobody')).status).toBe(404);
    const bad = await page('/groups/%3Cscript%3E');
    expect(bad.status).toBe(404);
    expect(bad.html).not.toContain('<script>');
    expect((await page('/groups/')).status).toBe(404);
  });

  it('shows what a commit changed and its rollout ring by ring, marking the ring a status linked to', async () => {
    const { status, html } = await page(`/commits/${C.slice(0, 7)}?ring=early`);
    expect(status).toBe(200);
    expect(html).toContain('<li>ring early: 2026.11.0 → 2026.11.2</li>');
    expect(html).toContain('<dt>Followed now</dt><dd>yes</dd>');
    expect(html).toContain('<section id="ring-early" class="marked">');
    expect(html).toContain('1 rolled-back · now');
    expect(html).toContain('<a href="/groups/globex">globex</a>');
    expect(html).toContain('verify failed: &lt;img');
    // The statuses as written, the latest of each context.
    expect(html).toContain('<td>ringmaster/early</td><td><span class="badge bad" data-state="failure">');
    expect(html).toContain('halted: &lt;img src=x');
    expect(html).not.toContain('<img');
  });

  it('shows a refused commit with its reason, and an unknown one as unknown', async () => {
    const refused = await page(`/commits/${'d'.repeat(40)}`);
    expect(refused.html).toContain('data-state="refused"');
    expect(refused.html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(refused.html).toContain(`the controller follows <a href="/commits/${C}">`);
    expect(refused.html).not.toContain('<img');
    expect(refused.html).toContain('The statuses could not be read: GitHub answered 502');
    const unknown = await page(`/commits/${'e'.repeat(12)}`);
    expect(unknown.html).toContain('The controller has no record of this commit');
    expect((await page('/commits/nothex')).status).toBe(404);
  });

  it('lists the commits on the status page, newest first, and answers them at /api/commits', async () => {
    const { html } = await page('/');
    const order = [...html.matchAll(/<a href="\/commits\/([0-9a-f]{40})">[0-9a-f]{12}<\/a><\/code>/g)].map(
      (m) => m[1]![0],
    );
    expect(order).toEqual(['d', 'c', 'a']);
    expect(html).toContain('(followed now)');
    const api = (await (await fetch(`${server.url}/api/commits?limit=2`)).json()) as { commit: string }[];
    expect(api.map((c) => c.commit[0])).toEqual(['d', 'c']);
  });
});
