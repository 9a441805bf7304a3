import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../controller/errors.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { emptyAppliedState } from '../../controller/state/types.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

describe('FileStateStore', () => {
  let dir: string;
  /** Stores a test opened (another process's, in effect): closed before their folder goes. */
  let opened: FileStateStore[];
  const openStore = (path: string) => {
    const store = new FileStateStore(path);
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

  it('has nothing applied and no records in a new folder', async () => {
    const store = openStore(join(dir, 'state'));
    expect(await store.loadApplied()).toBeUndefined();
    expect(await store.loadRecords()).toEqual({ version: 1, rings: [] });
  });

  it('round-trips the applied state and leaves no temporary file behind', async () => {
    const store = openStore(dir);
    const state = { ...emptyAppliedState('acme'), groups: {} };
    await store.saveApplied(state);
    expect(await store.loadApplied()).toEqual(state);
    await store.close({ compact: true });
    expect((await readdir(dir)).sort()).toEqual(['applied.json', 'applied.json.log']);
    expect(await openStore(dir).loadApplied()).toEqual(state);
  });

  it('sees a write by another store (another process) although it keeps what it read', async () => {
    const controller = openStore(dir);
    const before = { ...emptyAppliedState('acme'), groups: {} };
    await controller.saveApplied(before);
    expect(await controller.loadApplied()).toBe(await controller.loadApplied());
    const group = { name: 'globex', commit: 'c'.repeat(40), snapshot: {} as never, appliedAt: 'now' };
    // `ringmaster recover` in another process: its own store, its own write.
    await openStore(dir).saveApplied({ ...before, groups: { globex: group } });
    expect((await controller.loadApplied())?.groups).toEqual({ globex: group });
  });

  it('keeps what it read up to date with its own saves, and not with what the caller changes later', async () => {
    const controller = openStore(dir);
    const g = (name: string, commit: string) => ({ name, commit, snapshot: {} as never, appliedAt: 'now' });
    await controller.saveApplied({
      ...emptyAppliedState('acme'),
      groups: { a: g('a', '1'), b: g('b', '1') },
    });
    const read = await controller.loadApplied();
    const working = { ...read!, groups: { ...read!.groups, a: g('a', '2') } };
    delete (working.groups as Record<string, unknown>).b;

    await controller.saveApplied({ ...working, constellation: 'acme-2' }, ['a', 'b']);
    working.groups.a = g('a', 'changed after the save');

    const after = await controller.loadApplied();
    expect(after).toBe(read);
    expect(after).toEqual({ version: 1, constellation: 'acme-2', groups: { a: g('a', '2') } });
    expect(await openStore(dir).loadApplied()).toEqual(after);
  });

  it('appends only the groups that changed, and keeps a group another process changed meanwhile', async () => {
    const controller = openStore(dir);
    const g = (name: string, commit: string) => ({ name, commit, snapshot: {} as never, appliedAt: 'now' });
    const groups = { a: g('a', '1'), b: g('b', '1'), c: g('c', '1') };
    await controller.saveApplied({ ...emptyAppliedState('acme'), groups });
    const working = { ...emptyAppliedState('acme'), groups: { ...(await controller.loadApplied())!.groups } };
    // `ringmaster recover` changes c while the controller works on a and b.
    await openStore(dir).saveApplied({
      ...working,
      groups: { ...working.groups, c: g('c', 'recovered') },
    });
    working.groups.a = g('a', '2');
    delete (working.groups as Record<string, unknown>).b;
    await controller.saveApplied(working, ['a', 'b']);
    const log = (await readFile(join(dir, 'applied.json.log'), 'utf8')).trim().split('\n');
    expect(log.slice(-3)).toEqual([
      JSON.stringify({ k: 'c', v: g('c', 'recovered') }),
      JSON.stringify({ k: 'a', v: g('a', '2') }),
      JSON.stringify({ k: 'b' }),
    ]);
    expect((await openStore(dir).loadApplied())?.groups).toEqual({
      a: g('a', '2'),
      c: g('c', 'recovered'),
    });
  });

  it.each([
    [
      '{ "version": 1, "constellation": "acme", "groups": {',
      /applied\.json is not valid JSON; restore it from a backup, or move it and applied\.json\.log away to start afresh$/,
    ],
    [
      '{ "version": 2, "constellation": "acme", "groups": {} }',
      /applied\.json is not a Ringmaster applied state \(version 1\); restore it from a backup, or move it/,
    ],
  ])('refuses a damaged applied state %j instead of starting afresh', async (text, message) => {
    await writeFile(join(dir, 'applied.json'), text);
    // Not tracked: a store whose opening failed holds no file, and its close() would throw the same error.
    const load = new FileStateStore(dir).loadApplied();
    await expect(load).rejects.toThrow(ConfigurationError);
    await expect(new FileStateStore(dir).loadApplied()).rejects.toThrow(message);
  });
});
