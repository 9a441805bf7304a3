import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTempFiles } from '../../controller/state/atomic-file.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const DEAD = 4_000_001;
const LIVE = 4_000_002;
/** Pretends only LIVE runs, so the tests do not depend on which pids this machine has. */
const onlyLive = (pid: number): boolean => pid === LIVE;

const temp = (name: string, pid: number, hex = '0a1b2c3d'): string => `.${name}.${pid}.${hex}.tmp`;

/** Creates each relative path (folders included) with a small content. */
async function seed(dir: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), 'x');
  }
}

/** Every file under `dir`, as sorted relative paths. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('removeStaleTempFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('removes the temporary files of dead writers and returns their paths', async () => {
    const stale = [temp('applied.json', DEAD), temp('records.json', DEAD, 'ffffffff')];
    await seed(dir, [...stale, 'applied.json', 'records.json']);

    expect(await removeStaleTempFiles(dir, onlyLive)).toEqual(stale.map((name) => join(dir, name)).sort());
    expect(await listFiles(dir)).toEqual(['applied.json', 'records.json']);
  });

  it('keeps the temporary files of live writers and of this process', async () => {
    const kept = [temp('applied.json', LIVE), temp('sim.json', process.pid)];
    await seed(dir, kept);

    // onlyLive says this process is dead: its own writes are kept all the same.
    expect(await removeStaleTempFiles(dir, onlyLive)).toEqual([]);
    expect(await listFiles(dir)).toEqual([...kept].sort());
  });

  it("removes a file with this process's pid written before this process started (a container's pid 1 again)", async () => {
    const leftover = temp('applied.json', process.pid);
    const current = temp('records.json', process.pid);
    await seed(dir, [leftover, current]);
    const beforeStart = new Date(Date.now() - process.uptime() * 1000 - 60_000);
    await utimes(join(dir, leftover), beforeStart, beforeStart);

    expect(await removeStaleTempFiles(dir, onlyLive)).toEqual([join(dir, leftover)]);
    expect(await listFiles(dir)).toEqual([current]);
  });

  it.each([
    ['no pid and no random part', '.applied.json.tmp'],
    ['the target file itself', 'applied.json'],
    ['no leading dot', `applied.json.${DEAD}.0a1b2c3d.tmp`],
    ['an empty base name', `..${DEAD}.0a1b2c3d.tmp`],
    ['a random part of 7 hex digits', `.applied.json.${DEAD}.0a1b2c3.tmp`],
    ['an upper-case random part', `.applied.json.${DEAD}.0A1B2C3D.tmp`],
    ['a pid with a leading zero', `.applied.json.0${DEAD}.0a1b2c3d.tmp`],
    ['a pid that is not a number', '.applied.json.abc.0a1b2c3d.tmp'],
    ['another suffix', `.applied.json.${DEAD}.0a1b2c3d.tmp.bak`],
    ['a trailing character', `.applied.json.${DEAD}.0a1b2c3d.tmpx`],
  ])('keeps a file whose name has %s (%s)', async (_, name) => {
    await seed(dir, [name]);

    expect(await removeStaleTempFiles(dir, onlyLive)).toEqual([]);
    expect(await listFiles(dir)).toEqual([name]);
  });

  it('looks one level down (journal/), but not deeper and not into mirror.git', async () => {
    const staleJournal = join('journal', temp('t-1.json', DEAD));
    const untouched = [
      join('journal', 'old', temp('t-0.json', DEAD)),
      join('mirror.git', temp('config', DEAD)),
      join('mirror.git', 'refs', temp('main', DEAD)),
      join('journal', 't-1.json'),
    ];
    await seed(dir, [staleJournal, ...untouched]);

    expect(await removeStaleTempFiles(dir, onlyLive)).toEqual([join(dir, staleJournal)]);
    expect(await listFiles(dir)).toEqual([...untouched].sort());
  });

  it('follows no symbolic link, neither to a folder nor to a file', async () => {
    const outside = await makeTempDir();
    try {
      const target = temp('applied.json', DEAD);
      await seed(outside, [target]);
      await symlink(outside, join(dir, 'linked'));
      await symlink(join(outside, target), join(dir, temp('records.json', DEAD)));

      expect(await removeStaleTempFiles(dir, onlyLive)).toEqual([]);
      expect(await listFiles(outside)).toEqual([target]);
      expect(await listFiles(dir)).toEqual(['linked', temp('records.json', DEAD)].sort());
    } finally {
      await removeDir(outside);
    }
  });

  it('returns [] for a folder that does not exist', async () => {
    expect(await removeStaleTempFiles(join(dir, 'missing'))).toEqual([]);
  });

  it('asks the system by default: removes the file of an exited process, keeps one of this process', async () => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await once(child, 'exit');
    const pid = child.pid!;
    await seed(dir, [
      join('journal', temp('t-2.json', pid)),
      'applied.json',
      temp('applied.json', process.pid),
    ]);

    expect(await removeStaleTempFiles(dir)).toEqual([join(dir, 'journal', temp('t-2.json', pid))]);
    expect(await listFiles(dir)).toEqual(['applied.json', temp('applied.json', process.pid)].sort());
  });
});
