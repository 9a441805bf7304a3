/**
 * Only a missing file is absent: every reader of the state folder takes a
 * file it cannot read (here a folder in its place, EISDIR, or a symlink loop,
 * ELOOP, which also deny a reader running as root) for an error naming the
 * file, never for "nothing stored yet".
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../controller/errors.js';
import { WorldFile } from '../../controller/providers/sim/state.js';
import { removeStaleTempFiles } from '../../controller/state/atomic-file.js';
import { DurableMap, type SnapshotCodec } from '../../controller/state/durable-map.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { readJsonFile } from '../../controller/state/json-file.js';
import { readStateText, statIfPresent } from '../../controller/state/state-file.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const CODEC: SnapshotCodec<unknown> = {
  decode: (text) => new Map(Object.entries(text === undefined ? {} : (JSON.parse(text) as object))),
  encode: (entries) => JSON.stringify(Object.fromEntries(entries)),
};

/** Something that can be closed, opened by a case, closed before its folder goes. */
interface Closable {
  close(): Promise<void>;
}

describe('reading the state folder', () => {
  let dir: string;
  let opened: Closable[];
  beforeEach(async () => {
    dir = await makeTempDir();
    opened = [];
  });
  afterEach(async () => {
    // A store whose file failed to open answers its close with that failure (the controller reports it).
    await Promise.allSettled(opened.map((c) => c.close()));
    await removeDir(dir);
  });
  const keep = <T extends Closable>(c: T): T => {
    opened.push(c);
    return c;
  };

  it('takes a missing file for absent', async () => {
    expect(await readStateText(join(dir, 'applied.json'))).toBeUndefined();
    expect(await statIfPresent(join(dir, 'applied.json'))).toBeUndefined();
    expect(await readJsonFile(join(dir, 'records.json'))).toBeUndefined();
  });

  /** Each case: the path made a folder (or a loop), and the reading that must fail naming it. */
  const cases: [string, string, (dir: string) => Promise<unknown>][] = [
    ['a JSON state file', 'records.json', (d) => readJsonFile(join(d, 'records.json'))],
    ['the rollout records', 'records.json', (d) => keep(new FileStateStore(d)).loadRecords()],
    ['the applied state', 'applied.json', (d) => keep(new FileStateStore(d)).loadApplied()],
    ['the log of the applied state', 'applied.json.log', (d) => keep(new FileStateStore(d)).loadApplied()],
    [
      'the journals under way',
      'journal/open.json',
      (d) => keep(new FileJournalStore(join(d, 'journal'))).listOpen(),
    ],
    [
      'the journal of an ended transition',
      'journal/globex@cccccccccccc.json',
      (d) => keep(new FileJournalStore(join(d, 'journal'))).load('globex@cccccccccccc'),
    ],
    ['the sim world', 'sim.json', async (d) => keep(await WorldFile.open(join(d, 'sim.json')))],
  ];

  it.each(cases)('refuses %s when a folder stands in its place (EISDIR)', async (_what, file, read) => {
    await mkdir(join(dir, file), { recursive: true });
    const reading = read(dir);
    await expect(reading).rejects.toThrow(ConfigurationError);
    await expect(reading).rejects.toThrow(
      `state file ${join(dir, file)} cannot be read (EISDIR): it is a folder, not a file; move the folder away`,
    );
  });

  it('refuses a log that is a symlink loop (ELOOP) instead of reading the map without it', async () => {
    const path = join(dir, 'state.json');
    await writeFile(path, '{"a":1}');
    await symlink(`${path}.log`, `${path}.log`);
    await expect(DurableMap.open(path, CODEC)).rejects.toThrow(
      `state file ${path}.log cannot be read (ELOOP): it is a symbolic link that loops; replace it with the file`,
    );
  });

  it('refuses a state folder that is a file (ENOTDIR) instead of finding no journals in it', async () => {
    const journal = join(dir, 'journal');
    await writeFile(journal, 'not a folder');
    await expect(keep(new FileJournalStore(journal)).listOpen()).rejects.toThrow(
      `state file ${join(journal, 'open.json')} cannot be read (ENOTDIR)`,
    );
  });

  it('refuses to clean a state folder that is a file (ENOTDIR) instead of finding nothing to clean', async () => {
    const state = join(dir, 'state');
    await writeFile(state, 'not a folder');
    await expect(removeStaleTempFiles(state)).rejects.toThrow(
      `state file ${state} cannot be listed (ENOTDIR): a part of its path is a file, not a folder; move that file away`,
    );
  });
});
