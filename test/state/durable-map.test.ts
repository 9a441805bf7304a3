import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../controller/errors.js';
import { DurableMap, type SnapshotCodec } from '../../controller/state/durable-map.js';
import { damaged } from '../../controller/state/state-file.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

/** A snapshot that is one JSON object of the entries. */
const CODEC: SnapshotCodec<unknown> = {
  decode(text, path) {
    if (text === undefined) return new Map();
    try {
      return new Map(Object.entries(JSON.parse(text) as Record<string, unknown>));
    } catch (err) {
      throw damaged(path, 'valid JSON', err);
    }
  },
  encode: (entries) => (entries.size ? JSON.stringify(Object.fromEntries(entries)) : undefined),
};

const lines = async (path: string) => (await readFile(path, 'utf8')).split('\n').filter(Boolean);
const contents = (map: DurableMap<unknown>) => Object.fromEntries(map.entries);

describe('DurableMap', () => {
  let dir: string;
  let path: string;
  let opened: DurableMap<unknown>[];
  const open = async (compactBytes?: number) => {
    const map = await DurableMap.open(path, CODEC, { compactBytes });
    opened.push(map);
    return map;
  };
  beforeEach(async () => {
    dir = await makeTempDir();
    path = join(dir, 'state.json');
    opened = [];
  });
  afterEach(async () => {
    // Maps a test left open (a second process, in effect) are closed before their folder goes.
    await Promise.all(opened.map((m) => m.close()));
    await removeDir(dir);
  });

  it('keeps sets and deletes across reopening, as lines of a log beside the snapshot', async () => {
    const map = await open();
    await map.set('a', { n: 1 });
    await map.set('b', 2);
    await map.set('a', undefined);
    expect(contents(map)).toEqual({ b: 2 });
    expect(await lines(`${path}.log`)).toEqual(['{"k":"a","v":{"n":1}}', '{"k":"b","v":2}', '{"k":"a"}']);
    await map.close();
    expect(contents(await open())).toEqual({ b: 2 });
  });

  it('keeps a hundred concurrent changes, the last one made winning', async () => {
    const map = await open();
    const writes = Array.from({ length: 100 }, (_, i) => map.set(`k${i % 10}`, i));
    await Promise.all(writes);
    expect(await lines(`${path}.log`)).toHaveLength(100);
    expect(contents(await open())).toEqual(
      Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 90 + i])),
    );
  });

  it('skips a torn last line left by a crash, and folds the log into the snapshot before writing after it', async () => {
    await writeFile(`${path}.log`, '{"k":"a","v":1}\n{"k":"b","v":');
    const map = await open();
    expect(contents(map)).toEqual({ a: 1 });
    await map.set('c', 3);
    // Not appended after the torn line, which would then sit in the middle of the log and read as damage.
    // (The snapshot already holds the change being written too: the map is changed before it is written.)
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ a: 1, c: 3 });
    expect(await lines(`${path}.log`)).toEqual(['{"k":"c","v":3}']);
    expect(contents(await open())).toEqual({ a: 1, c: 3 });
  });

  it.each([
    ['a line that is not JSON', 'not json'],
    ['a line cut short', '{"k":"b","v":'],
    ['a line of the wrong shape', '{"key":"b","v":2}'],
    ['a line that is not an object', '[1,2]'],
  ])('skips %s when it is the last line of the log, ending in a newline', async (_what, bad) => {
    await writeFile(`${path}.log`, `{"k":"a","v":1}\n${bad}\n`);
    const map = await open();
    expect(contents(map)).toEqual({ a: 1 });
    await map.set('c', 3);
    expect(contents(await open())).toEqual({ a: 1, c: 3 });
  });

  it.each([
    ['a line that is not JSON', 'not json'],
    ['a line cut short', '{"k":"b","v":'],
    ['a line of the wrong shape', '{"key":"b","v":2}'],
    ['a line with a key that is not text', '{"k":7,"v":2}'],
  ])('refuses %s in the middle of the log, naming the file and the line', async (_what, bad) => {
    await writeFile(`${path}.log`, `{"k":"a","v":1}\n{"k":"b","v":2}\n${bad}\n{"k":"c","v":3}\n`);
    const opening = open();
    await expect(opening).rejects.toThrow(ConfigurationError);
    await expect(opening).rejects.toThrow(
      `${path}.log:3: line 3 is damaged: it is not a change Ringmaster wrote, and only the last line can be torn by a crash; ` +
        'restore state.json and state.json.log from a backup, or move both away to start afresh and put right what the controller then finds with ringmaster recover',
    );
  });

  it('refuses a damaged line before a torn last line', async () => {
    await writeFile(`${path}.log`, '{"k":"a","v":1}\nnot json\n{"k":"b","v":');
    await expect(open()).rejects.toThrow(`${path}.log:2: line 2 is damaged`);
  });

  it('counts lines across reads: damage another process appended is named by its line in the whole log', async () => {
    const map = await open();
    await map.set('a', 1);
    await map.set('b', 2);
    await appendFile(`${path}.log`, 'garbage\n{"k":"c","v":3}\n');
    await expect(map.refresh()).rejects.toThrow(`${path}.log:3: line 3 is damaged`);
  });

  it('compacts into the snapshot once the log outgrows it, losing nothing', async () => {
    const map = await open(200);
    for (let i = 0; i < 40; i++) await map.set(`k${i % 4}`, i);
    // Compacted on the way: the snapshot holds all four keys, and the log only what came after.
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')) as object).sort()).toEqual([
      'k0',
      'k1',
      'k2',
      'k3',
    ]);
    expect((await readFile(`${path}.log`)).length).toBeLessThan(400);
    expect(contents(await open())).toEqual({ k0: 36, k1: 37, k2: 38, k3: 39 });
    await map.compact();
    expect(await readFile(`${path}.log`, 'utf8')).toBe('');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ k0: 36, k1: 37, k2: 38, k3: 39 });
  });

  it('leaves the snapshot as it is when the log holds nothing to fold in', async () => {
    await writeFile(path, '{"a":1}');
    const map = await open();
    const before = await stat(path);
    await map.compact();
    await map.close();
    // Not rewritten: the same file (a rewrite renames a new one into place).
    expect((await stat(path)).ino).toBe(before.ino);
    expect(await readFile(path, 'utf8')).toBe('{"a":1}');
    const again = await open();
    await again.set('b', 2);
    await again.compact();
    expect((await stat(path)).ino).not.toBe(before.ino);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ a: 1, b: 2 });
    expect(await readFile(`${path}.log`, 'utf8')).toBe('');
  });

  it('gives the same state when a crash left the old log beside a new snapshot', async () => {
    const map = await open();
    await map.set('a', 1);
    await map.set('b', 2);
    await map.set('a', 3);
    await map.close();
    const log = await readFile(`${path}.log`, 'utf8');
    await map.compact();
    // As if killed after the snapshot's rename and before the log's: every line is replayed again.
    await writeFile(`${path}.log`, log);
    expect(contents(await open())).toEqual({ a: 3, b: 2 });
  });

  it('sees what another process appends, and neither loses a line when one of them compacts', async () => {
    const controller = await open();
    const other = await open();
    await controller.set('a', 1);
    await other.set('b', 2);
    expect(await controller.refresh()).toBe(true);
    expect(contents(controller)).toEqual({ a: 1, b: 2 });
    expect(await controller.refresh()).toBe(false);
    // The other process still holds the old log open when the controller replaces it.
    await controller.compact();
    await other.set('c', 3);
    await controller.set('d', 4);
    expect(await controller.refresh()).toBe(true);
    expect(contents(controller)).toEqual({ a: 1, b: 2, c: 3, d: 4 });
    expect(contents(await open())).toEqual({ a: 1, b: 2, c: 3, d: 4 });
    // And the other way round: the other process compacts under the controller.
    await other.refresh();
    await other.compact();
    await controller.set('e', 5);
    expect(contents(await open())).toEqual({ a: 1, b: 2, c: 3, d: 4, e: 5 });
    await Promise.all([controller.close(), other.close()]);
  });

  it('keeps lines appended behind its back when it compacts', async () => {
    const controller = await open();
    await controller.set('a', 1);
    // Written behind the controller's back, straight into the log it is about to replace.
    await appendFile(`${path}.log`, '{"k":"late","v":true}\n');
    await controller.compact();
    expect(contents(await open())).toEqual({ a: 1, late: true });
    await controller.close();
  });

  it('refuses a damaged snapshot with the file named and what to do', async () => {
    await writeFile(path, '{"a":');
    const opened = open();
    await expect(opened).rejects.toThrow(ConfigurationError);
    await expect(open()).rejects.toThrow(
      `${path} is not valid JSON; restore it from a backup, or move it and state.json.log away to start afresh`,
    );
  });
});
