/**
 * Ctrl-C and SIGTERM stop the controller cleanly: no new step starts, the
 * steps under way end at their next call and stay open in the journal, the
 * process says what it left and exits; the next start says what it resumes
 * and finishes it. Runs the built CLI as a child process (npm test builds it).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { startCli, watch } from '../helpers/child.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

/** Whether `path` holds `text` now (absent counts as empty). */
async function fileContains(path: string, text: string): Promise<boolean> {
  return (await readFile(path, 'utf8').catch(() => '')).includes(text);
}

describe('stopping the controller', () => {
  let repo: FixtureRepo;
  let state: string;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
  });
  afterEach(async () => {
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const start = (...extra: string[]) =>
    startCli([
      'run',
      '--repo',
      repo.dir,
      '--state',
      state,
      '--port',
      '0',
      '--log-file',
      join(state, 'log.json'),
      ...extra,
    ]);

  it('leaves the steps under way open at SIGTERM, says so, and the next start resumes and finishes them', async () => {
    // At real speed the grace period is ten minutes of health checks: every group sits in verify.
    const child = start('--sim-speed', '1');
    const run = watch(child);
    await run.until(/Following the branch/);
    const journal = join(state, 'journal', 'open.json.log');
    while (!(await fileContains(journal, '"name":"verify","status":"started"')))
      await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(run.text()).toContain('SIGTERM: stopping. No new step starts');
    const left = /Stopped\. (\d+) transitions? (?:is|are) left open \(([^)]*)\); the next start resumes/.exec(
      run.text(),
    );
    expect(left).not.toBeNull();
    const ids = left![2]!.split(', ');
    expect(ids.length).toBe(Number(left![1]));

    const again = start('--once', '--sim-speed', '100000');
    const resumed = watch(again);
    expect(await resumed.exit).toBe(0);
    expect(resumed.text()).toMatch(new RegExp(`^Resuming ${ids.length} transitions? left open: `, 'm'));
    for (const id of ids) expect(resumed.text()).toMatch(new RegExp(`[✓…] ${id} (succeeded|waiting)`));
    // The step cut short was not counted as an attempt: the verify of a group that finished took one.
    const finished = ids.find((id) => resumed.text().includes(`✓ ${id} succeeded`))!;
    const ended = JSON.parse(await readFile(join(state, 'journal', `${finished}.json`), 'utf8')) as {
      steps: { name: string; attempts: number }[];
    };
    expect(ended.steps.find((s) => s.name === 'verify')!.attempts).toBe(1);
  }, 60_000);
});
