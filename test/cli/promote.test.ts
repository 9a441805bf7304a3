import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { RemoteBranches } from '../fakes/github-git-branches.js';
import { type GitHubServer, startGitHubServer } from '../fakes/github-server.js';
import { octokitFor } from '../fakes/github-test-client.js';
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const AUTUMN = new Date('2026-11-22T10:00:00Z');
const YEAR_END = new Date('2026-12-24T10:00:00Z');
const BRANCH = 'ringmaster/promote-early-2026.11.1';
const COMMENT = '  # canary gets every release first; early a day later';

describe('ringmaster promote', () => {
  let repo: FixtureRepo;
  let bare: string;
  let server: GitHubServer;

  beforeEach(async () => {
    repo = await createFixtureRepo();
    await repo.edit('groups/rings.yaml', 'rings:\n', `rings:\n${COMMENT}\n`);
    await repo.edit(
      'groups/rings.yaml',
      'release: "2026.11.0"',
      "release: '2026.11.0' # after a day in canary",
    );
    await repo.commit('comment the rings');
    bare = join(await makeTempDir(), 'origin.git');
    await simpleGit().clone(repo.dir, bare, ['--bare', '--quiet']);
    await repo.git.addRemote('origin', bare);
    await repo.git.fetch('origin');
    server = await startGitHubServer({ repos: ['o/r'] });
    server.state.repo('o/r').branches = new RemoteBranches(bare);
  });
  afterEach(async () => {
    await server.close();
    await removeDir(repo.dir);
    await removeDir(join(bare, '..'));
  });

  const env = () => ({ GITHUB_TOKEN: 'test-token', GITHUB_API_URL: server.url });
  const promote = (args: string[], options: { env?: Record<string, string>; now?: Date } = {}) =>
    runRingmaster(['promote', ...args, '--repo', repo.dir, '--github', 'o/r'], {
      env: options.env ?? env(),
      now: options.now ?? AUTUMN,
    });
  const remoteGit = (...args: string[]) =>
    execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8' });
  const localGit = (...args: string[]) =>
    execFileSync('git', ['-C', repo.dir, ...args], { encoding: 'utf8' });
  const pulls = () => [...server.state.repo('o/r').pulls.values()];
  const writes = () => server.log.filter((r) => r.method !== 'GET');

  /** What the user could see of the local repository and the remote. */
  async function snapshot() {
    return {
      remoteRefs: remoteGit('for-each-ref'),
      localBranches: localGit('for-each-ref', 'refs/heads'),
      head: localGit('rev-parse', 'HEAD'),
      symbolicHead: localGit('symbolic-ref', 'HEAD'),
      status: localGit('status', '--porcelain', '--untracked-files=all'),
      worktrees: localGit('worktree', 'list', '--porcelain'),
      rings: await readFile(join(repo.dir, 'groups/rings.yaml'), 'utf8'),
    };
  }

  it('opens one pull request whose body is the plan, on a branch that changes only the release line', async () => {
    const before = await snapshot();
    const run = await promote(['2026.11.1', '--to', 'early']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toBe('opened pull request #1: https://github.com/o/r/pull/1');

    const [pull, ...others] = pulls();
    expect(others).toEqual([]);
    expect(pull).toMatchObject({ title: 'Promote 2026.11.1 to early', state: 'open' });
    expect(pull?.head.ref).toBe(BRANCH);
    expect(pull?.base.ref).toBe('main');
    expect(pull?.body).toContain('| early | promotion | 2026.11.0 → 2026.11.1 | 410 → 411 | 1 | 2 |');
    expect(pull?.body).toContain('- **early**: shared-1');
    expect(pull?.body).toContain('✅ | bake | early | ring canary has no bake time');
    expect(pull?.body).toContain('**Verdict: allowed.**');

    const main = remoteGit('rev-parse', 'main').trim();
    expect(remoteGit('rev-parse', `${BRANCH}^`).trim()).toBe(main);
    const diff = remoteGit('diff', '--unified=0', main, BRANCH)
      .split('\n')
      .filter((line) => /^[-+](?![-+])/.test(line));
    expect(diff).toEqual([
      "-    release: '2026.11.0' # after a day in canary",
      "+    release: '2026.11.1' # after a day in canary",
    ]);
    expect(remoteGit('show', `${BRANCH}:groups/rings.yaml`)).toContain(`${COMMENT}\n`);
    expect(remoteGit('log', '-1', '--format=%s', BRANCH).trim()).toBe('Promote 2026.11.1 to early');

    const after = await snapshot();
    expect({ ...after, remoteRefs: '' }).toEqual({ ...before, remoteRefs: '' });
  });

  it('returns the open pull request when run again, without opening a second one', async () => {
    await promote(['2026.11.1', '--to', 'early']);
    const pushed = remoteGit('rev-parse', BRANCH);
    const again = await promote(['2026.11.1', '--to', 'early']);
    expect(again.code).toBe(0);
    expect(again.out).toBe(`pull request #1 is already open for ${BRANCH}: https://github.com/o/r/pull/1`);
    expect(pulls()).toHaveLength(1);
    expect(writes().filter((r) => r.path === '/repos/o/r/pulls')).toHaveLength(1);
    expect(remoteGit('rev-parse', BRANCH)).toBe(pushed);
  });

  it('with --dry-run prints the title and body and leaves the remote, the local repository and GitHub alone', async () => {
    const before = await snapshot();
    const run = await promote(['2026.11.1', '--to', 'early', '--dry-run'], { env: {} });
    expect(run.code).toBe(0);
    expect(run.out).toContain('Title: Promote 2026.11.1 to early');
    expect(run.out).toContain(`Branch: ${BRANCH} → main`);
    expect(run.out).toContain('| early | promotion | 2026.11.0 → 2026.11.1 | 410 → 411 | 1 | 2 |');
    expect(run.out).toContain('**Verdict: allowed.**');
    expect(run.out).toContain('(dry run: nothing was pushed and no pull request was opened)');
    expect(await snapshot()).toEqual(before);
    expect(server.log).toEqual([]);
  });

  it('with --dry-run and no such remote, plans against the local branch', async () => {
    await repo.git.removeRemote('origin');
    const run = await promote(['2026.11.1', '--to', 'early', '--dry-run'], { env: {} });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(
      /Change from `main \(commit [0-9a-f]{12}\)` to `ringmaster\/promote-early-2026\.11\.1/,
    );
  });

  it('refuses an unknown ring, naming the rings there are, and pushes nothing', async () => {
    const before = await snapshot();
    const run = await promote(['2026.11.1', '--to', 'prod']);
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'ringmaster: ring "prod" is not in groups/rings.yaml; the rings are canary, early, stable',
    );
    expect(await snapshot()).toEqual(before);
    expect(server.log).toEqual([]);
  });

  it.each([
    [
      'a later ring ahead of an earlier one',
      ['2026.11.1', '--to', 'stable'],
      'ring "stable" runs 2026.11.1, newer than the earlier ring "early" (2026.11.0)',
    ],
    ['a release without its file', ['2027.01.1', '--to', 'canary'], '2027.01.1'],
  ])(
    'refuses a promotion that does not validate (%s) with the findings, and pushes nothing',
    async (_case, args, finding) => {
      const before = await snapshot();
      const run = await promote(args);
      expect(run.code).toBe(1);
      expect(run.out).toMatch(/^groups\/rings\.yaml:\d+:\d+: /m);
      expect(run.out).toContain(finding);
      expect(run.out).toContain('does not validate (see above); nothing was pushed');
      expect(await snapshot()).toEqual(before);
      expect(server.log).toEqual([]);
    },
  );

  it('refuses a promotion the policy forbids, showing why, and pushes nothing', async () => {
    const before = await snapshot();
    const run = await promote(['2026.11.1', '--to', 'early'], { now: YEAR_END });
    expect(run.code).toBe(1);
    expect(run.out).toContain('inside freeze year-end');
    expect(run.out).toContain('**Verdict: forbidden**');
    expect(run.out).toContain('the promotion policy forbids promoting 2026.11.1 to early now');
    expect(await snapshot()).toEqual(before);
    expect(server.log).toEqual([]);
  });

  it('refuses to run without GITHUB_TOKEN, naming it and the permissions it needs', async () => {
    const before = await snapshot();
    const run = await promote(['2026.11.1', '--to', 'early'], { env: { GITHUB_API_URL: server.url } });
    expect(run.code).toBe(2);
    expect(run.err).toContain('ringmaster: GITHUB_TOKEN is not set');
    expect(run.err).toContain('Contents: write and Pull requests: write');
    expect(run.err).toContain('--dry-run');
    expect(await snapshot()).toEqual(before);
    expect(server.log).toEqual([]);
  });

  it('asks GitHub before pushing, so a token GitHub refuses leaves the remote alone', async () => {
    await server.close();
    server = await startGitHubServer({ repos: ['o/r'], token: 'the-right-token' });
    const before = await snapshot();
    const run = await promote(['2026.11.1', '--to', 'early']);
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'ringmaster: listing pull requests of o/r failed (401: Bad credentials); GitHub does not accept GITHUB_TOKEN, renew it',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('asks for --github when the remote is not a URL on a host', async () => {
    const run = await runRingmaster(['promote', '2026.11.1', '--to', 'early', '--repo', repo.dir], {
      env: env(),
    });
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'ringmaster: cannot tell the GitHub repository from remote origin; pass --github OWNER/REPO',
    );
    expect(server.log).toEqual([]);
  });

  it('refuses to reuse a branch that holds something else, saying how to clear it', async () => {
    localGit('push', '--quiet', 'origin', `main:refs/heads/${BRANCH}`);
    const stale = remoteGit('rev-parse', BRANCH);
    const run = await promote(['2026.11.1', '--to', 'early']);
    expect(run.code).toBe(2);
    expect(run.err).toContain(`branch ${BRANCH} already exists on origin with another groups/rings.yaml`);
    expect(run.err).toContain(`git push origin --delete ${BRANCH}`);
    expect(remoteGit('rev-parse', BRANCH)).toBe(stale);
    expect(pulls()).toEqual([]);
  });

  it('reports a push the remote refuses as a configuration error', async () => {
    // A pre-receive hook that refuses everything stands in for a remote without write access.
    execFileSync(
      'sh',
      [
        '-c',
        `printf '#!/bin/sh\\necho denied >&2\\nexit 1\\n' > hooks/pre-receive && chmod +x hooks/pre-receive`,
      ],
      {
        cwd: bare,
      },
    );
    const run = await promote(['2026.11.1', '--to', 'early']);
    expect(run.code).toBe(2);
    expect(run.err).toContain(`ringmaster: pushing branch ${BRANCH} to origin was refused`);
    expect(pulls()).toEqual([]);
  });

  it('puts the bake evidence GitHub holds into the body', async () => {
    // canary bakes for a day; the controller reported 2026.11.1 healthy there a day and a half ago.
    await repo.edit('policies/promotion.yaml', 'canary: { bake: 0h', 'canary: { bake: 24h');
    await repo.commit('canary bakes for a day');
    await repo.git.push('origin', 'main');
    const promotedIntoCanary = remoteGit('rev-list', '--max-parents=0', 'main').trim();
    server.state.addCommit('o/r', promotedIntoCanary);
    await octokitFor(server).rest.repos.createCommitStatus({
      owner: 'o',
      repo: 'r',
      sha: promotedIntoCanary,
      state: 'success',
      context: 'ringmaster/canary',
      description: 'canary: 1/1 groups on 2026.11.1',
    });
    const healthyAt = server.state.statusesOf('o/r', promotedIntoCanary)[0]!.created_at;
    const run = await promote(['2026.11.1', '--to', 'early', '--dry-run'], {
      now: new Date(Date.parse(healthyAt) + 36 * 3_600_000),
    });
    expect(run.code).toBe(0);
    expect(run.out).toContain('### Bake evidence');
    expect(run.out).toMatch(
      /2026\.11\.1 healthy in canary since .*, 36h of 24h \(ringmaster\/canary on [0-9a-f]{12}\)/,
    );
  });
});
