/**
 * The history stays bounded (ended transitions and commits seen, older than
 * the retention) while every group keeps the transitions that explain where
 * it stands: on a real journal folder and commit log.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { JournalEntry } from '../../controller/engine/journal.js';
import { HistoryRetention } from '../../controller/loop/history-retention.js';
import { CommitLog } from '../../controller/state/commit-log.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import type { AppliedState } from '../../controller/state/types.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const DAY = 24 * 60 * 60 * 1000;
const commit = (c: string) => c.repeat(40);

function ended(
  group: string,
  c: string,
  endedAt: string,
  status: JournalEntry['status'] = 'succeeded',
): JournalEntry {
  return {
    id: `${group}@${commit(c).slice(0, 12)}`,
    group,
    ring: 'early',
    commit: commit(c),
    status,
    startedAt: endedAt,
    endedAt,
    steps: [],
  };
}

describe('HistoryRetention', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('forgets what ended before the retention, but never what explains a group', async () => {
    const journalDir = join(dir, 'journal');
    const journal = new FileJournalStore(journalDir);
    // globex: a, b, c long ago (c held, so the applied state refers to it), d recently.
    await journal.save(ended('globex', 'a', '2026-01-01T00:00:00.000Z'));
    await journal.save(ended('globex', 'b', '2026-01-02T00:00:00.000Z'));
    await journal.save(ended('globex', 'c', '2026-01-03T00:00:00.000Z', 'rolled-back'));
    await journal.save(ended('globex', 'd', '2026-11-30T00:00:00.000Z'));
    // initech: one transition long ago, its newest: kept. hooli: one old of the commit followed, one newer.
    await journal.save(ended('initech', 'a', '2026-01-01T00:00:00.000Z'));
    await journal.save(ended('hooli', 'e', '2026-01-01T00:00:00.000Z'));
    await journal.save(ended('hooli', 'f', '2026-02-01T00:00:00.000Z'));
    await journal.close();
    const commits = new CommitLog(join(dir, 'commits.json'));
    await commits.add({ commit: commit('a'), outcome: 'followed', seenAt: '2026-01-01T00:00:00.000Z' });
    await commits.add({ commit: commit('9'), outcome: 'refused', seenAt: '2026-01-05T00:00:00.000Z' });
    await commits.add({ commit: commit('d'), outcome: 'followed', seenAt: '2026-11-29T00:00:00.000Z' });
    const applied: AppliedState = {
      version: 1,
      constellation: 'acme',
      groups: {
        globex: {
          name: 'globex',
          commit: commit('d'),
          appliedAt: '2026-11-30T00:00:00.000Z',
          held: {
            commit: commit('c'),
            snapshotHash: 'x',
            reason: 'verify failed',
            since: '2026-01-03T00:00:00.000Z',
          },
        },
      },
    };
    const clock = new ManualClock(new Date('2026-12-07T00:00:00.000Z'));
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const reading = new FileJournalStore(journalDir);
    const retention = new HistoryRetention({
      journal: reading,
      commits,
      state: { loadApplied: async () => applied },
      clock,
      log,
      keepMs: 90 * DAY,
    });
    retention.tick(commit('e'));
    await retention.settled();
    expect((await readdir(journalDir)).filter((n) => n.endsWith('.json') && n.includes('@')).sort()).toEqual([
      `globex@${'c'.repeat(12)}.json`,
      `globex@${'d'.repeat(12)}.json`,
      `hooli@${'e'.repeat(12)}.json`,
      `hooli@${'f'.repeat(12)}.json`,
      `initech@${'a'.repeat(12)}.json`,
    ]);
    expect((await commits.list()).map((c) => c.commit[0])).toEqual(['d']);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'History pruned', transitions: 2, commits: 2 });

    // Once a day at most: the same day again does nothing, the next day looks again.
    await reading.save(ended('hooli', '1', '2026-03-01T00:00:00.000Z'));
    await reading.close();
    retention.tick(commit('e'));
    await retention.settled();
    expect(lines).toHaveLength(1);
    await clock.advance(DAY);
    retention.tick(commit('1'));
    await retention.settled();
    expect(JSON.parse(lines[1]!)).toMatchObject({ msg: 'History pruned', transitions: 2 });
    expect((await readdir(journalDir)).filter((n) => n.startsWith('hooli@'))).toEqual([
      `hooli@${'1'.repeat(12)}.json`,
    ]);
  });
});
