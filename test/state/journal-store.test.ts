import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalEntry } from '../../controller/engine/journal.js';
import type { TransitionTarget } from '../../controller/engine/steps.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import type { GroupSnapshot } from '../../controller/state/types.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const AT = '2026-11-22T10:00:00.000Z';
const tenants = Array.from({ length: 50 }, (_, i) => ({
  id: `t-${i}`,
  host: `t-${i}.app.example.com`,
  language: 'en-GB',
  utcOffset: '+00:00',
}));
const snapshot: GroupSnapshot = {
  ring: 'early',
  release: '2026.11.2',
  schemaVersion: 412,
  services: { api: 'app/api:2026.11.2' },
  resources: {
    cluster: 'eu-1',
    namespace: 'globex',
    database: { engine: 'postgres', instance: 'globex-db' },
    secrets: [],
  },
  tenants,
};

function started(id = 'globex@cccccccccccc'): JournalEntry {
  const planned = {
    id,
    group: 'globex',
    ring: 'early',
    commit: 'c'.repeat(40),
    changes: ['release'],
    to: snapshot,
  };
  // As targetFor makes it: the target's tenants are the very list of its `to`.
  const target = {
    planned,
    cluster: 'eu-1',
    namespace: 'globex',
    services: {},
    tenants: snapshot.tenants,
  } as unknown as TransitionTarget;
  return {
    id,
    group: 'globex',
    ring: 'early',
    commit: 'c'.repeat(40),
    to: snapshot,
    status: 'running',
    steps: [],
    startedAt: AT,
    target,
  };
}

const lines = async (path: string) => (await readFile(path, 'utf8')).split('\n').filter(Boolean);

describe('FileJournalStore', () => {
  let dir: string;
  /** Stores a test opened, other processes' too: closed (ended files written) before the folder goes. */
  let opened: FileJournalStore[];
  const openStore = (...args: ConstructorParameters<typeof FileJournalStore>) => {
    const store = new FileJournalStore(...args);
    opened.push(store);
    return store;
  };
  beforeEach(async () => {
    dir = await makeTempDir();
    opened = [];
  });
  afterEach(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await removeDir(dir);
  });

  it('writes a transition whole once, then only what each step changes', async () => {
    const store = openStore(dir);
    let entry = started();
    await store.save(entry);
    for (const name of ['validate', 'prepare', 'verify'] as const) {
      entry = { ...entry, steps: [...entry.steps, { name, status: 'done', attempts: 1, startedAt: AT }] };
      await store.save(entry);
    }
    const log = await lines(join(dir, 'open.json.log'));
    expect(log).toHaveLength(5); // the entry and its (empty) progress, then one progress line per step
    // Written once: the planned transition and the tenants of the target repeat the snapshot, and are written without it.
    expect(log[0]!.split('t-49.app.example.com')).toHaveLength(2);
    for (const line of log.slice(2)) expect(line).not.toContain('app.example.com');
    const reopened = openStore(dir);
    expect(await reopened.load(entry.id)).toEqual(entry);
    expect(await reopened.listOpen()).toEqual([entry]);
  });

  it('writes the tenants and resources a transition keeps once, and reads them back on both sides', async () => {
    const store = openStore(dir);
    const entry = started();
    const from = { ...snapshot, release: '2026.10.0', services: { api: 'app/api:2026.10.0' } };
    const upgrade: JournalEntry = {
      ...entry,
      from,
      target: { ...entry.target!, planned: { ...entry.target!.planned, from } },
    };
    await store.save(upgrade);
    const line = (await lines(join(dir, 'open.json.log')))[0]!;
    expect(line.split('t-49.app.example.com')).toHaveLength(2);
    expect(line.split('"globex-db"')).toHaveLength(2);

    const read = await openStore(dir).load(upgrade.id);
    expect(read).toEqual(upgrade);
    // A change of tenants is written on both sides.
    const joined: JournalEntry = { ...upgrade, id: 'globex@eeeeeeeeeeee', to: { ...snapshot, tenants: [] } };
    await store.save(joined);
    expect(await openStore(dir).load(joined.id)).toEqual({
      ...joined,
      target: { ...joined.target!, planned: { ...joined.target!.planned, to: joined.to } },
    });
  });

  it('reads the tenants a target was written with (as earlier versions wrote them), and keeps tenants of its own', async () => {
    const store = openStore(dir);
    const entry = started();
    const own = [{ id: 'other', host: 'other.app.example.com', language: 'en', utcOffset: '+00:00' }];
    const apart: JournalEntry = {
      ...entry,
      id: 'globex@dddddddddddd',
      target: { ...entry.target!, tenants: own },
    };
    await store.save(apart);
    await store.close({ compact: true });
    const written = JSON.parse(await readFile(join(dir, 'open.json'), 'utf8')) as {
      journals: Record<string, { target: { tenants?: unknown } }>;
    };
    expect(written.journals[apart.id]!.target.tenants).toEqual(own);
    // An entry of an earlier version: the target's tenants written out in full.
    written.journals[entry.id] = { ...entry, target: { ...entry.target!, planned: undefined } } as never;
    await writeFile(join(dir, 'open.json'), JSON.stringify(written));

    const reopened = openStore(dir);
    expect(await reopened.load(apart.id)).toEqual(apart);
    expect((await reopened.load(entry.id))?.target?.tenants).toEqual(entry.target!.tenants);
  });

  it('writes an ended transition to its own file and forgets it among the open ones', async () => {
    const store = openStore(dir);
    const entry = started();
    await store.save(entry);
    const ended: JournalEntry = { ...entry, status: 'succeeded', endedAt: AT };
    await store.save(ended);
    // Ended is on disk at once, in the log; its own file follows.
    expect(await openStore(dir).load(entry.id)).toEqual(ended);
    await store.close({ compact: true });
    const file = await readFile(join(dir, `${entry.id}.json`), 'utf8');
    expect(file.split('t-49.app.example.com')).toHaveLength(2);
    expect(await openStore(join(dir)).load(entry.id)).toEqual(ended);
    expect(JSON.parse(await readFile(join(dir, 'open.json'), 'utf8'))).toEqual({ version: 1, journals: {} });
    expect(await openStore(dir).listOpen()).toEqual([]);
  });

  it('writes the file of an ended transition that a crash kept from it at the next look', async () => {
    const store = openStore(dir);
    const ended: JournalEntry = { ...started(), status: 'rolled-back', endedAt: AT, reason: 'verify failed' };
    await store.save(ended);
    await store.close({ compact: true });
    await removeDir(dir);
    await mkdir(dir);
    // As if killed before the file was written: only the map knows the transition ended.
    await writeFile(join(dir, 'open.json'), JSON.stringify({ version: 1, journals: { [ended.id]: ended } }));
    const after = openStore(dir);
    expect(await after.listOpen()).toEqual([]);
    await after.close();
    await openStore(dir).close();
    expect(await readdir(dir)).toContain(`${ended.id}.json`);
    expect(await openStore(dir).load(ended.id)).toEqual(ended);
  });

  it('says when an ended transition cannot be written to its own file, and writes it at a later look', async () => {
    const failures: string[][] = [];
    const store = openStore(dir, (err, ids) => failures.push([...ids, (err as Error).message]));
    const ended: JournalEntry = { ...started(), status: 'succeeded', endedAt: AT };
    expect(await store.listOpen()).toEqual([]);
    // A folder where the file must go: the rename fails.
    await mkdir(join(dir, `${ended.id}.json`, 'blocker'), { recursive: true });
    await store.save(ended);
    await store.close();
    expect(failures).toHaveLength(1);
    expect(failures[0]![0]).toBe(ended.id);
    expect(failures[0]![1]).toMatch(/EISDIR|ENOTEMPTY|EEXIST/);
    await removeDir(join(dir, `${ended.id}.json`));
    const later = openStore(dir);
    expect(await later.listOpen()).toEqual([]);
    await later.close();
    expect(await openStore(dir).load(ended.id)).toEqual(ended);
    expect(await readdir(dir)).toContain(`${ended.id}.json`);
  });

  it('takes over the transitions under way that an older version kept one file each', async () => {
    const open = started('initech@dddddddddddd');
    const ended: JournalEntry = { ...started(), status: 'succeeded', endedAt: AT };
    await writeFile(join(dir, `${open.id}.json`), JSON.stringify(open));
    await writeFile(join(dir, `${ended.id}.json`), JSON.stringify(ended));
    const store = openStore(dir);
    expect(await store.listOpen()).toEqual([open]);
    expect(await store.load(ended.id)).toEqual(ended);
    await store.close();
    expect((await readdir(dir)).sort()).toEqual(
      [`${open.id}.json`, `${ended.id}.json`, 'open.json.log'].sort(),
    );
  });
});
