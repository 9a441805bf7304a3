/**
 * `ringmaster status --watch` as an operator runs it (the built CLI, piped):
 * the status again at each interval, each look with its time, until Ctrl-C;
 * and each command's help lists the flags it uses.
 */
import { runController, runRingmaster } from '../helpers/cli.js';
import { startCli, watch } from '../helpers/child.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

describe('ringmaster status --watch', () => {
  let repo: FixtureRepo;
  let state: string;
  beforeAll(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-watch-');
    expect(
      (await runController(repo.dir, state, ['run', '--once'], new Date('2026-11-23T10:00:00Z'))).code,
    ).toBe(0);
  });
  afterAll(async () => {
    await removeDir(repo.dir);
    await removeDir(state);
  });

  it('shows the status again at each interval until SIGINT, plain when piped', async () => {
    const child = startCli(['status', '--watch', '--interval', '1', '--repo', repo.dir, '--state', state]);
    const out = watch(child);
    try {
      // Two looks: the second comes by itself.
      await out.until(/every 1 s · Ctrl-C to stop[\s\S]*every 1 s · Ctrl-C to stop/);
      child.kill('SIGINT');
      expect(await out.exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const text = out.text();
    expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ · every 1 s · Ctrl-C to stop$/m);
    expect(text).toMatch(/^internal +canary +ready /m);
    // Piped: no colour codes, no clearing of the screen.
    expect(text).not.toContain('\u001b[');
    expect(out.errors()).toBe('');
  });

  it("lists only each command's own flags in its help", async () => {
    const status = await runRingmaster(['status', '--help']);
    const run = await runRingmaster(['run', '--help']);
    expect(status.out).toContain('--watch');
    for (const flag of ['--sim-faults', '--sim-latency', '--status-url', '--port'])
      expect([flag, status.out.includes(flag)]).toEqual([flag, false]);
    for (const flag of ['--sim-faults', '--sim-latency', '--status-url', '--port', '--keep-history'])
      expect([flag, run.out.includes(flag)]).toEqual([flag, true]);
    expect(run.out).not.toContain('--watch');
  });
});
