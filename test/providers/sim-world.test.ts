import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, PermanentError, TransientError } from '../../controller/errors.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { ctx, failureOf, spec, simOpener, HOSTS } from './sim-helpers.js';

describe('WorldFile', () => {
  let dir: string;
  // World files a test opened are closed (again, harmlessly, when the test did) before the folder goes.
  const { openWorld, closeAll } = simOpener(() => join(dir, 'sim.json'));
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await closeAll();
    await removeDir(dir);
  });

  it('logs each change beside the file and folds the log into the file when compacting', async () => {
    const path = join(dir, 'sim.json');
    const file = await openWorld(path);
    file.world.groups['eu-1/globex'] = { active: 'green', stacks: {} };
    file.world.groups['eu-1/initech'] = { stacks: {} };
    await Promise.all([file.persist({ group: 'eu-1/globex' }), file.persist({ group: 'eu-1/initech' })]);
    delete file.world.groups['eu-1/initech'];
    await file.persist({ group: 'eu-1/initech' });
    await expect(readFile(path, 'utf8')).rejects.toThrow('ENOENT');
    expect((await readFile(`${path}.log`, 'utf8')).trim().split('\n')).toHaveLength(3);
    expect((await openWorld(path)).world.groups).toEqual({
      'eu-1/globex': { active: 'green', stacks: {} },
    });
    await file.close({ compact: true });
    expect(await readFile(`${path}.log`, 'utf8')).toBe('');
    const stored = JSON.parse(await readFile(path, 'utf8')) as { groups: unknown };
    expect(stored.groups).toEqual({ 'eu-1/globex': { active: 'green', stacks: {} } });
  });

  it('reports a failed write as transient', async () => {
    const path = join(dir, 'sim.json');
    const file = await openWorld(path);
    await mkdir(`${path}.log`);
    file.world.groups['eu-1/globex'] = { stacks: {} };
    const err = await failureOf(file.persist({ group: 'eu-1/globex' }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toBe(`writing sim state file ${path} failed`);
  });
});

describe('the sim world', () => {
  let dir: string;
  let statePath: string;
  const { sim, openWorld, closeAll } = simOpener(() => statePath);

  beforeEach(async () => {
    dir = await makeTempDir();
    statePath = join(dir, 'sim.json');
  });
  afterEach(async () => {
    await closeAll();
    await removeDir(dir);
  });

  describe('the world file', () => {
    it('survives re-creating the providers from the same file', async () => {
      const before = await sim();
      await before.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green'));
      await before.cluster.switchTraffic(ctx('globex', 'cutover'), 'eu-1', 'globex', 'green', HOSTS);
      const after = await sim();
      expect(await after.cluster.getActive(ctx('globex', 'observe'), 'eu-1', 'globex')).toEqual({
        color: 'green',
        release: '2026.11.1',
      });
      expect(await after.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green'))).toBe(
        'unchanged',
      );
    });

    it('keeps every change of concurrent calls for different groups', async () => {
      const names = Array.from({ length: 12 }, (_, i) => `group-${i}`);
      // Later calls end their latency first, so the changes come in reverse call order, between writes.
      let waiting = names.length;
      const ticks = (n: number): Promise<void> =>
        n <= 0 ? Promise.resolve() : new Promise((resolve) => setImmediate(resolve)).then(() => ticks(n - 1));
      const p = await sim({ latencyMs: 1, sleep: () => ticks(waiting--) });
      const results = await Promise.all(
        names.map((g) => p.cluster.ensureStack(ctx(g, 'prepare'), spec(g, 'green'))),
      );
      expect(results).toEqual(names.map(() => 'created'));
      const stored = (await openWorld(statePath)).world as unknown as {
        groups: Record<string, unknown>;
      };
      expect(Object.keys(stored.groups).sort()).toEqual(names.map((g) => `eu-1/${g}`).sort());
      expect(stored.groups['eu-1/group-3']).toEqual({
        stacks: {
          green: {
            release: '2026.11.1',
            services: { web: { image: 'web:2026.11.1', replicas: 2, port: 8080, healthPath: '/healthz' } },
            updatedAt: '2026-11-02T10:00:00.000Z',
          },
        },
      });
    });

    it.each([
      ['not JSON', '{"version": 1,', 'is not valid JSON'],
      ['another version', '{"version": 2}', 'is not a sim world: version must be 1'],
      [
        'a misspelt key',
        '{"version": 1, "missingDatabase": []}',
        'is not a sim world: the file has unknown key "missingDatabase"',
      ],
      [
        'a bad colour',
        '{"version": 1, "groups": {"eu-1/globex": {"active": "red", "stacks": {}}}}',
        'is not a sim world: groups.eu-1/globex.active must be "blue" or "green"',
      ],
    ])(
      'refuses a world file that is %s, naming it and what to do, and leaves it alone',
      async (_n, text, problem) => {
        await writeFile(statePath, text);
        await expect(sim()).rejects.toThrow(ConfigurationError);
        await expect(sim()).rejects.toThrow(
          `sim state file ${statePath} ${problem}; fix it, or move it away to start with an empty simulated world`,
        );
        expect(await readFile(statePath, 'utf8')).toBe(text);
      },
    );
  });

  describe('databases and secrets', () => {
    const world = {
      version: 1,
      missingDatabases: ['globex-db'],
      missingSecrets: [{ name: 'globex-app', keys: ['password', 'api-token'] }, { name: 'globex-gone' }],
    };
    beforeEach(async () => {
      await writeFile(statePath, JSON.stringify(world));
    });

    it('finds every database except those listed as missing', async () => {
      const p = await sim();
      await expect(
        p.database.checkAvailable(ctx('initech', 'validate'), { instance: 'initech-db', engine: 'mysql' }),
      ).resolves.toBeUndefined();
      const err = await failureOf(
        p.database.checkAvailable(ctx('globex', 'validate'), { instance: 'globex-db', engine: 'postgres' }),
      );
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.message).toBe(
        `sim: database globex-db of group globex does not exist (listed in missingDatabases of ${statePath})`,
      );
    });

    it('names the missing keys of a secret, and only them', async () => {
      const p = await sim();
      const secret = { name: 'globex-app', keys: ['user', 'password', 'api-token'] };
      const err = await failureOf(p.secrets.checkKeys(ctx('globex', 'validate'), secret));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.message).toBe(
        `sim: secret globex-app of group globex lacks keys password, api-token (listed in missingSecrets of ${statePath})`,
      );
      await expect(
        p.secrets.checkKeys(ctx('globex', 'validate'), { name: 'globex-app', keys: ['user'] }),
      ).resolves.toBeUndefined();
    });

    it('reports a secret listed without keys as missing altogether', async () => {
      const p = await sim();
      const err = await failureOf(
        p.secrets.checkKeys(ctx('globex', 'validate'), { name: 'globex-gone', keys: ['a'] }),
      );
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.message).toBe(
        `sim: secret globex-gone of group globex does not exist (listed in missingSecrets of ${statePath})`,
      );
    });

    it('keeps what a person listed as missing when it writes the world', async () => {
      const p = await sim();
      await p.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green'));
      const stored = (await openWorld(statePath)).world as unknown as typeof world;
      expect(stored.missingDatabases).toEqual(world.missingDatabases);
      expect(stored.missingSecrets).toEqual(world.missingSecrets);
    });
  });
});
