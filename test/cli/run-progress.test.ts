/** What `run` prints from one look to the next: a wait is news once, not on every look. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ControllerParts, openController } from '../../controller/cli/controller-options.js';
import { createRunner, lookAndSettle } from '../../controller/cli/runner.js';
import type { CliContext } from '../../controller/cli/context.js';
import { createContext } from '../../controller/main.js';
import { createMetrics } from '../../controller/server/metrics.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { itWithOpenFiles, openFiles } from '../helpers/open-files.js';

describe('run, look after look', () => {
  let repo: FixtureRepo;
  let state: string;
  /** The controllers a test opened: closed (state files, git reader, log file) before the folders go. */
  let opened: ControllerParts[];
  /** The controller on the fixture's HEAD with the sim and no latency, logging to `log.json` in the state folder. */
  const open = async (ctx: CliContext, logLevel = 'warn') => {
    const parts = await openController(ctx, {
      repo: repo.dir,
      branch: 'main',
      rev: 'HEAD',
      state,
      simLatency: 0,
      simSpeed: 100_000,
      logFile: join(state, 'log.json'),
      logLevel,
    });
    opened.push(parts);
    return parts;
  };
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
    opened = [];
  });
  afterEach(async () => {
    await Promise.all(opened.map((p) => p.close()));
    await removeDir(repo.dir);
    await removeDir(state);
  });

  it('prints a waiting transition when it starts waiting, not again while the reason stays', async () => {
    const out: string[] = [];
    const base = createContext({ out: (s) => out.push(s), err: (s) => out.push(s) }, {});
    const ctx = { ...base, now: () => new Date('2026-11-22T01:30:00Z') };
    const parts = await open(ctx);
    const runner = createRunner(ctx, parts, { workers: 4, metrics: createMetrics({ now: ctx.now }).metrics });
    const waitingLines = () =>
      out.filter((l) => / … globex@[0-9a-f]{12} waiting: waiting for approval/.test(l));

    await lookAndSettle(runner);
    expect(waitingLines()).toHaveLength(1);
    await lookAndSettle(runner);
    await lookAndSettle(runner);
    expect(waitingLines()).toHaveLength(1);
    await runner.controller.stop();
    await parts.reporter.flush();
  });

  it('closes once however often it is asked, ending the log file with its lines in it', async () => {
    const ctx = createContext({ out: () => {}, err: () => {} }, {});
    const logFile = join(state, 'log.json');
    const parts = await open(ctx, 'info');
    parts.log.info('the last line before closing');
    await Promise.all([parts.close(), parts.close()]);
    await parts.close();
    expect(await readFile(logFile, 'utf8')).toMatch(/"msg":"the last line before closing"}\n$/);
  });

  itWithOpenFiles(
    'closes every part and the log file even when closing one fails, then says what failed',
    async () => {
      await writeFile(join(state, 'applied.json'), '{ "version": 1, "constellation": "acme", "groups": {');
      const before = await openFiles();
      const parts = await open(createContext({ out: () => {}, err: () => {} }, {}), 'info');
      await expect(parts.store.loadApplied()).rejects.toThrow(/applied\.json is not valid JSON/);
      parts.log.info('the last line before closing');
      // Closed here, not again in afterEach: the failure is the close's answer.
      opened = [];
      await expect(parts.close()).rejects.toThrow(/applied\.json is not valid JSON/);
      expect(await openFiles()).toBe(before);
      expect(await readFile(join(state, 'log.json'), 'utf8')).toMatch(
        /"msg":"the last line before closing"}\n$/,
      );
    },
  );
});
