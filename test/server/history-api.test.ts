/**
 * `/api/history` of the controller's server on a real journal folder: a
 * group's transitions newest first, ended and under way, with their steps;
 * bad parameters answered 400.
 */
import { pino } from 'pino';
import type { JournalEntry } from '../../controller/engine/journal.js';
import { type RunningServer, startServer } from '../../controller/server/http.js';
import { createMetrics } from '../../controller/server/metrics.js';
import { historyItem } from '../../controller/state/history-view.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { groupSnapshot } from '../helpers/group-snapshot.js';

function entry(id: string, status: JournalEntry['status'], startedAt: string): JournalEntry {
  const [group] = id.split('@');
  return {
    id,
    group: group!,
    ring: 'early',
    commit: id.split('@')[1]!.padEnd(40, '0'),
    from: groupSnapshot('2026.11.0'),
    to: groupSnapshot('2026.11.2'),
    status,
    startedAt,
    ...(status === 'waiting' ? { reason: 'waiting for approval before cutover' } : { endedAt: startedAt }),
    steps: [
      {
        name: 'validate',
        status: 'done',
        attempts: 1,
        startedAt,
        endedAt: new Date(Date.parse(startedAt) + 1500).toISOString(),
      },
    ],
  };
}

describe('/api/history', () => {
  let dir: string;
  let journal: FileJournalStore;
  let server: RunningServer;
  beforeAll(async () => {
    dir = await makeTempDir();
    journal = new FileJournalStore(dir);
    await journal.save(entry('globex@aaaaaaaaaaaa', 'succeeded', '2026-11-20T10:00:00.000Z'));
    await journal.save(entry('globex@bbbbbbbbbbbb', 'waiting', '2026-11-22T10:00:00.000Z'));
    await journal.save(entry('initech@cccccccccccc', 'rolled-back', '2026-11-21T10:00:00.000Z'));
    // Ended journals go to their own files: closed, then read as the running controller reads them.
    await journal.close();
    journal = new FileJournalStore(dir);
    const { registry } = createMetrics({ defaultMetrics: false });
    server = await startServer({
      port: 0,
      getStatus: async () => undefined,
      isReady: () => true,
      registry,
      log: pino({ level: 'silent' }),
      getHistory: async (query, limit) => (await journal.history(query)).slice(0, limit).map(historyItem),
    });
  });
  afterAll(async () => {
    await server.close();
    await journal.close();
    await removeDir(dir);
  });

  const get = async (query: string) => {
    const res = await fetch(`${server.url}/api/history${query}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it("answers a group's transitions newest first, the one under way included, with their steps", async () => {
    const { status, body } = await get('?group=globex');
    expect(status).toBe(200);
    expect(body).toEqual([
      {
        id: 'globex@bbbbbbbbbbbb',
        group: 'globex',
        ring: 'early',
        commit: 'bbbbbbbbbbbb'.padEnd(40, '0'),
        status: 'waiting',
        reason: 'waiting for approval before cutover',
        from: '2026.11.0',
        to: '2026.11.2',
        startedAt: '2026-11-22T10:00:00.000Z',
        steps: [
          {
            name: 'validate',
            status: 'done',
            attempts: 1,
            startedAt: '2026-11-22T10:00:00.000Z',
            endedAt: '2026-11-22T10:00:01.500Z',
            seconds: 1.5,
          },
        ],
      },
      expect.objectContaining({ id: 'globex@aaaaaaaaaaaa', status: 'succeeded' }),
    ]);
  });

  it('answers every group without one, at most limit', async () => {
    expect(((await get('')).body as { id: string }[]).map((i) => i.id)).toEqual([
      'globex@bbbbbbbbbbbb',
      'initech@cccccccccccc',
      'globex@aaaaaaaaaaaa',
    ]);
    expect((await get('?limit=1')).body).toHaveLength(1);
  });

  it("answers a commit's transitions, by its whole id or a prefix, and of a group and commit together", async () => {
    const ids = async (q: string) => ((await get(q)).body as { id: string }[]).map((i) => i.id);
    expect(await ids(`?commit=${'c'.repeat(12).padEnd(40, '0')}`)).toEqual(['initech@cccccccccccc']);
    expect(await ids('?commit=CCCCCCC')).toEqual(['initech@cccccccccccc']);
    expect(await ids('?commit=bbbbbbbbbbbb0')).toEqual(['globex@bbbbbbbbbbbb']);
    expect(await ids('?commit=bbbbbbbbbbbb1')).toEqual([]);
    expect(await ids('?group=initech&commit=aaaaaaa')).toEqual([]);
  });

  it.each([
    ['?group=../etc', 'group must be a group name, got "../etc"'],
    ['?limit=0', 'limit must be a whole number from 1 to 500'],
    ['?limit=lots', 'limit must be a whole number from 1 to 500'],
    ['?commit=abc', 'commit must be 7 to 40 hex digits, got "abc"'],
  ])('answers 400 to %s', async (query, error) => {
    expect(await get(query)).toEqual({ status: 400, body: { error } });
  });
});
