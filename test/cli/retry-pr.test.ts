/** `ringmaster retry --pull-request`: the retry of a held group arrives as a pull request on GitHub. */
import { runRingmaster } from '../helpers/cli.js';
import { type GitHubOrigin, addGitHubOrigin } from '../helpers/github-origin.js';
import { type HeldGroupRepo, createHeldGroupRepo } from '../helpers/held-group.js';

describe('ringmaster retry --pull-request', () => {
  let fixture: HeldGroupRepo;
  let origin: GitHubOrigin;
  beforeAll(async () => {
    fixture = await createHeldGroupRepo();
    origin = await addGitHubOrigin(fixture.repo);
  });
  afterAll(async () => {
    await origin.close();
    await fixture.remove();
  });

  const retry = (group: string, env: Readonly<Record<string, string>> = origin.env) =>
    runRingmaster(
      [
        'retry',
        group,
        '--pull-request',
        '--github',
        'o/r',
        '--reason',
        'the database was restarted',
        '--repo',
        fixture.repo.dir,
        '--state',
        fixture.state,
      ],
      { env, now: new Date('2026-11-22T10:00:00Z') },
    );
  const remoteGit = (...args: string[]) => origin.git(...args);
  const repo = () => fixture.repo;

  it('refuses a group that is not held with exit 1, and pushes nothing', async () => {
    const refs = remoteGit('for-each-ref');
    const run = await retry('internal');
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /^ringmaster: group internal is not held: it runs what main asks; held: shared-1@/,
    );
    expect(remoteGit('for-each-ref')).toBe(refs);
    expect(origin.server.state.repo('o/r').pulls.size).toBe(0);
  });

  it('opens one pull request adding the Retry file, and finds it again instead of opening a second', async () => {
    const branch = `ringmaster/retry-${fixture.held.replace('@', '-')}`;
    const headBefore = (await repo().git.revparse(['HEAD'])).trim();
    const first = await retry('shared-1');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toBe(
      `opened pull request #1: https://github.com/o/r/pull/1; merging it retries ${fixture.held}`,
    );
    const [pull] = [...origin.server.state.repo('o/r').pulls.values()];
    expect(pull).toEqual(expect.objectContaining({ title: `Retry ${fixture.held}`, state: 'open' }));
    expect(pull!.head.ref).toBe(branch);
    expect(pull!.body).toContain(`Retries **${fixture.held}**: group shared-1 failed to apply commit`);
    expect(pull!.body).toContain('Reason: the database was restarted');
    expect(remoteGit('show', `${branch}:groups/retries/${fixture.held}.yaml`)).toBe(
      [
        'apiVersion: ringmaster/v1',
        'kind: Retry',
        `retry: ${fixture.held}`,
        'requestedAt: "2026-11-22T10:00:00.000Z"',
        'description: "the database was restarted"',
        '',
      ].join('\n'),
    );
    // The branch is the base plus the one file; the local repository is left as it was.
    expect(remoteGit('diff', '--name-only', 'main', branch).trim()).toBe(
      `groups/retries/${fixture.held}.yaml`,
    );
    expect((await repo().git.revparse(['HEAD'])).trim()).toBe(headBefore);
    expect((await repo().git.status()).isClean()).toBe(true);

    const again = await retry('shared-1');
    expect(again.code).toBe(0);
    expect(again.out).toBe(
      `pull request #1 is already open for ${fixture.held}: https://github.com/o/r/pull/1`,
    );
    expect(origin.server.state.repo('o/r').pulls.size).toBe(1);
  });

  it('refuses to run without GITHUB_TOKEN, naming it', async () => {
    const run = await retry('shared-1', {});
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/GITHUB_TOKEN is not set; retry --pull-request opens a pull request/);
  });
});
