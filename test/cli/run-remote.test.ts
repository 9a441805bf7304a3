/**
 * `run --repo URL`, the production form: the controller follows a remote
 * through real git transports (a file:// URL, and git's smart HTTP server on
 * loopback behind Basic authentication) and never prints its credentials.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { type GitHttpServer, startGitHttpServer } from '../helpers/git-http.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const NOW = new Date('2026-11-22T01:30:00Z');
const PASSWORD = 'S3cret-T0ken-4711';

describe('run --repo with a remote address', () => {
  let repo: FixtureRepo;
  let root: string;
  let state: string;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    root = await makeTempDir('ringmaster-remotes-');
    state = await makeTempDir('ringmaster-state-');
    await simpleGit().clone(repo.dir, join(root, 'rollout.git'), ['--bare', '--quiet']);
  });
  afterEach(async () => {
    await removeDir(repo.dir);
    await removeDir(root);
    await removeDir(state);
  });

  const ringmaster = (...args: string[]) =>
    runRingmaster(
      [...args, '--state', state, '--sim-speed', '100000', '--log-file', join(state, 'log.json')],
      { now: NOW },
    );
  /** Statuses the controller wrote as git notes in its mirror, for `commit`. */
  const mirrorNotes = async (commit: string) =>
    (
      await simpleGit(join(state, 'mirror.git')).raw([
        'log',
        '-1',
        '--notes=ringmaster',
        '--format=%N',
        commit,
      ])
    ).trim();
  const push = async () => repo.git.push(join(root, 'rollout.git'), 'main');

  it('follows a file:// URL through its mirror, with statuses as notes there, and reads a new commit', async () => {
    const url = `file://${join(root, 'rollout.git')}`;
    const first = await ringmaster('run', '--once', '--repo', url);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain(`commit ${repo.baseSha.slice(0, 12)}:`);
    expect(await mirrorNotes(repo.baseSha)).toMatch(
      / success "ringmaster\/canary" "canary: 1\/1 groups on 2026\.11\.1"/,
    );

    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const next = await repo.commit('early to 2026.11.1');
    await push();
    const second = await ringmaster('run', '--once', '--repo', url);
    expect(second.code).toBe(0);
    expect(second.out).toContain(`commit ${next.slice(0, 12)}:`);
    const status = await ringmaster('status', '--json', '--repo', url);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ commit: next });
  });

  describe('over HTTP with credentials', () => {
    let server: GitHttpServer;
    beforeEach(async () => {
      server = await startGitHttpServer(root, 'ringmaster', PASSWORD);
    });
    afterEach(() => server.close());

    it('fetches with the credentials of the URL and prints or logs them nowhere', async () => {
      const run = await ringmaster('run', '--once', '--repo', server.urlWithCredentials('rollout.git'));
      expect(run.err).toBe('');
      expect(run.code).toBe(0);
      expect(run.out).toContain(`commit ${repo.baseSha.slice(0, 12)}:`);
      // git asked without credentials first, as against a hosted remote, then fetched with them.
      expect(server.log.map((r) => r.status)).toEqual(expect.arrayContaining([401, 200]));
      const log = await readFile(join(state, 'log.json'), 'utf8');
      for (const text of [run.out, run.err, log]) expect(text).not.toContain(PASSWORD);
    });

    it('stops with exit 2 and a message without the password when the remote refuses the credentials', async () => {
      const wrong = server.urlWithCredentials('rollout.git').replace(PASSWORD, 'Wr0ng-Passw0rd-99');
      const run = await ringmaster('run', '--once', '--repo', wrong);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(
        /^ringmaster: Fetching branch "main" of http:\/\/127\.0\.0\.1:\d+\/rollout\.git failed: .*check the address, the network and the credentials\.$/m,
      );
      expect(run.err + run.out).not.toContain('Wr0ng-Passw0rd-99');
    });
  });

  it.each([
    [
      ['validate'],
      /--repo https:\/\/git\.example\.com\/rollout\.git is a remote address, and this command reads a local folder; clone the repository/,
    ],
    [
      ['run', '--once', '--rev', 'HEAD'],
      /--rev reads a revision of a local repository, and --repo https:\/\/git\.example\.com\/rollout\.git is a remote address/,
    ],
  ])('%j with a URL says what to do instead, without the credentials', async (args, message) => {
    const run = await runRingmaster([
      ...args,
      '--repo',
      `https://ringmaster:${PASSWORD}@git.example.com/rollout.git`,
    ]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    expect(run.err + run.out).not.toContain(PASSWORD);
  });
});
