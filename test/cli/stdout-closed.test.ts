/**
 * A reader that goes away (`ringmaster validate | head -1`) is no error: the
 * command goes on and ends as it would have, without a stack trace. Runs the
 * built CLI as a child process whose standard output is closed before it
 * writes anything, so its first write meets a closed pipe.
 */
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { startCli, watch } from '../helpers/child.js';
import { removeDir } from '../helpers/git.js';

describe('standard output closed by its reader', () => {
  let repo: FixtureRepo;
  beforeEach(async () => {
    repo = await createFixtureRepo();
  });
  afterEach(async () => {
    await removeDir(repo.dir);
  });

  it('drops what is printed and exits as the command would', async () => {
    const child = startCli(['validate', '--repo', repo.dir]);
    const run = watch(child);
    child.stdout!.destroy();
    expect(await run.exit).toBe(0);
    expect(run.errors()).toBe('');
  });
});
