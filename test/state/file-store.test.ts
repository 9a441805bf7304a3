import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../controller/errors.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { emptyAppliedState } from '../../controller/state/types.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

describe('FileStateStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('has nothing applied and no records in a new folder', async () => {
    const store = new FileStateStore(join(dir, 'state'));
    expect(await store.loadApplied()).toBeUndefined();
    expect(await store.loadRecords()).toEqual({ version: 1, rings: [] });
  });

  it('round-trips the applied state and leaves no temporary file behind', async () => {
    const store = new FileStateStore(dir);
    const state = { ...emptyAppliedState('acme'), groups: {} };
    await store.saveApplied(state);
    expect(await store.loadApplied()).toEqual(state);
    await store.close({ compact: true });
    expect((await readdir(dir)).sort()).toEqual(['applied.json', 'applied.json.log']);
    expect(await new FileStateStore(dir).loadApplied()).toEqual(state);
  });

  it('sees a write by another store (another process) although it keeps what it read', async () => {
    const controller = new FileStateStore(dir);
    const before = { ...emptyAppliedState('acme'), groups: {} };
    await controller.saveApplied(before);
    expect(await controller.loadApplied()).toBe(await controller.loadApplied());
    const group = { name: 'globex', commit: 'c'.repeat(40), snapshot: {} as never, appliedAt: 'now' };
    // `ringmaster recover` in another process: its own store, its own write.
    await new FileStateStore(dir).saveApplied({ ...before, groups: { globex: group } });
    expect((await controller.loadApplied())?.groups).toEqual({ globex: group });
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
    const load = new FileStateStore(dir).loadApplied();
    await expect(load).rejects.toThrow(ConfigurationError);
    await expect(new FileStateStore(dir).loadApplied()).rejects.toThrow(message);
  });
});
