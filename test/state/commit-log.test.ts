import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommitLog, type CommitRecord } from '../../controller/state/commit-log.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const record = (
  commit: string,
  outcome: CommitRecord['outcome'],
  seenAt = '2026-12-01T00:00:00.000Z',
): CommitRecord => ({
  commit: commit.repeat(40).slice(0, 40),
  outcome,
  seenAt,
});

describe('CommitLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('keeps the newest commits first, on disk, bounded to what it keeps', async () => {
    const path = join(dir, 'commits.json');
    const log = new CommitLog(path, 3);
    for (const c of ['a', 'b', 'c', 'd']) await log.add(record(c, 'followed'));
    expect((await log.list()).map((r) => r.commit[0])).toEqual(['d', 'c', 'b']);
    const again = new CommitLog(path, 3);
    expect((await again.list()).map((r) => r.commit[0])).toEqual(['d', 'c', 'b']);
  });

  it('lists a commit once, as it ended; a commit followed keeps its first record', async () => {
    const log = new CommitLog(join(dir, 'commits.json'));
    await log.add(record('a', 'followed', '2026-12-01T00:00:00.000Z'));
    await log.add(record('b', 'unjudged'));
    await log.add(record('b', 'followed'));
    await log.add({ ...record('a', 'followed', '2026-12-02T00:00:00.000Z'), changes: ['followed at start'] });
    expect((await log.list()).map((r) => [r.commit[0], r.outcome, r.seenAt.slice(0, 10)])).toEqual([
      ['b', 'followed', '2026-12-01'],
      ['a', 'followed', '2026-12-01'],
    ]);
  });

  it('refuses a damaged file with what to do, and leaves it as it was', async () => {
    const path = join(dir, 'commits.json');
    await writeFile(path, '{"version": 2}');
    await expect(new CommitLog(path).list()).rejects.toThrow(
      `${path} is not Ringmaster's list of commits followed (version 1); move it away to start it afresh`,
    );
    await writeFile(path, '{"vers');
    await expect(new CommitLog(path).add(record('a', 'followed'))).rejects.toThrow(
      /is not valid JSON; move it away/,
    );
    expect(await readFile(path, 'utf8')).toBe('{"vers');
  });
});
