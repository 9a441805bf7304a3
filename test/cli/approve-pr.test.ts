/** `ringmaster approve --pull-request`: the approval of a gate arrives as a pull request on GitHub. */
import { join } from 'node:path';
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';
import { type GitHubOrigin, addGitHubOrigin } from '../helpers/github-origin.js';

describe('ringmaster approve --pull-request', () => {
  let repo: FixtureRepo;
  let origin: GitHubOrigin;
  let transition: string;
  let branch: string;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    transition = `globex@${repo.baseSha.slice(0, 12)}`;
    branch = `ringmaster/approve-globex-${repo.baseSha.slice(0, 12)}`;
    origin = await addGitHubOrigin(repo);
  });
  afterEach(async () => {
    await origin.close();
    await removeDir(repo.dir);
  });

  const approve = (env: Readonly<Record<string, string>> = origin.env) =>
    runRingmaster(
      [
        'approve',
        transition,
        '--pull-request',
        '--github',
        'o/r',
        '--reason',
        'checked by hand',
        '--repo',
        repo.dir,
        // No state folder here, as on an engineer's machine: whether it waits is not checked.
        '--state',
        join(repo.dir, 'no-state'),
      ],
      {
        env,
        now: new Date('2026-11-22T10:00:00Z'),
      },
    );
  const remoteGit = (...args: string[]) => origin.git(...args);

  it('opens one pull request adding the approval file, and finds it again instead of opening a second', async () => {
    const headBefore = (await repo.git.revparse(['HEAD'])).trim();
    const first = await approve();
    expect(first.code).toBe(0);
    expect(first.out).toBe(
      `opened pull request #1: https://github.com/o/r/pull/1; merging it approves ${transition}`,
    );
    const [pull] = [...origin.server.state.repo('o/r').pulls.values()];
    expect(pull).toEqual(expect.objectContaining({ title: `Approve ${transition}`, state: 'open' }));
    expect(pull!.head.ref).toBe(branch);
    expect(pull!.body).toContain('Reason: checked by hand');
    expect(remoteGit('show', `${branch}:groups/approvals/${transition}.yaml`)).toBe(
      [
        'apiVersion: ringmaster/v1',
        'kind: Approval',
        `transition: ${transition}`,
        'approvedAt: "2026-11-22T10:00:00.000Z"',
        'description: "checked by hand"',
        '',
      ].join('\n'),
    );
    // The branch is the base plus the one file; the local repository is left as it was.
    expect(remoteGit('diff', '--name-only', 'main', branch).trim()).toBe(
      `groups/approvals/${transition}.yaml`,
    );
    expect((await repo.git.revparse(['HEAD'])).trim()).toBe(headBefore);
    expect((await repo.git.status()).isClean()).toBe(true);

    const again = await approve();
    expect(again.code).toBe(0);
    expect(again.out).toBe(
      `pull request #1 is already open for ${transition}: https://github.com/o/r/pull/1`,
    );
    expect(origin.server.state.repo('o/r').pulls.size).toBe(1);
  });

  it('refuses to run without GITHUB_TOKEN, naming it, and pushes nothing', async () => {
    const refs = remoteGit('for-each-ref');
    const run = await approve({});
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/GITHUB_TOKEN is not set; approve --pull-request opens a pull request/);
    expect(remoteGit('for-each-ref')).toBe(refs);
  });
});
