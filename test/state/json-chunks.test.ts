import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeChunksAtomic } from '../../controller/state/atomic-file.js';
import { Entries, jsonChunks } from '../../controller/state/json-chunks.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const groups: [string, unknown][] = [
  [
    'smb-1',
    { commit: 'a1', snapshot: { tenants: [{ id: 't1', host: 'h"1\n' }], services: {} }, held: undefined },
  ],
  ['empty', {}],
  ['list', [1, [], [{}], 'x', null, true]],
  ['ünï', { nested: { deeper: { deepest: [{ a: 1, b: undefined }] } } }],
];

describe('jsonChunks', () => {
  it.each([0, 2] as const)('writes what JSON.stringify writes, indent %i', (indent) => {
    const top = {
      version: 1,
      skipped: undefined,
      groups: new Entries(groups),
      none: new Entries([]),
      last: 'end',
    };
    const expected = { version: 1, groups: Object.fromEntries(groups), none: {}, last: 'end' };

    const chunks = [...jsonChunks(top, indent)];

    expect(chunks.join('')).toBe(`${JSON.stringify(expected, null, indent)}\n`);
    // One chunk per entry at least, so no chunk holds the whole map.
    expect(chunks.length).toBeGreaterThan(groups.length);
  });

  it('nests entries inside entries', () => {
    const top = { outer: new Entries([['inner', new Entries([['k', [1, 2]]])]]) };

    expect([...jsonChunks(top, 2)].join('')).toBe(
      `${JSON.stringify({ outer: { inner: { k: [1, 2] } } }, null, 2)}\n`,
    );
  });
});

describe('writeChunksAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('writes every chunk in order, across write batches, and returns the bytes written', async () => {
    const path = join(dir, 'big.json');
    const chunk = (i: number): string => `${'é'.repeat(1000)}${i}\n`;
    const count = 600; // about 600,000 characters: several batches

    const bytes = await writeChunksAtomic(
      path,
      Array.from({ length: count }, (_, i) => chunk(i)),
    );

    const text = await readFile(path, 'utf8');
    expect(text).toBe(Array.from({ length: count }, (_, i) => chunk(i)).join(''));
    expect(bytes).toBe(Buffer.byteLength(text));
    expect(await readdir(dir)).toEqual(['big.json']);
  });

  it('leaves the old file and no temporary file when the chunks fail midway', async () => {
    const path = join(dir, 'state.json');
    await writeChunksAtomic(path, ['old\n']);
    function* failing(): Generator<string> {
      yield 'x'.repeat(300 * 1024);
      throw new Error('encoding failed');
    }

    await expect(writeChunksAtomic(path, failing())).rejects.toThrow('encoding failed');

    expect(await readFile(path, 'utf8')).toBe('old\n');
    expect(await readdir(dir)).toEqual(['state.json']);
  });
});
