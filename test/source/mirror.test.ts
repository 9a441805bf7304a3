import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SimpleGit } from 'simple-git';
import { ConfigurationError, NotFoundError, TransientError } from '../../controller/errors.js';
import { GitMirror } from '../../controller/source/mirror.js';
import { GitObjectReader } from '../../controller/source/git-object-reader.js';
import { commitAll, initRepo, makeTempDir, recordGitChildren, removeDir } from '../helpers/git.js';

const run = promisify(execFile);

/** A normal repository on branch main standing in for the remote. */
interface Remote {
  readonly dir: string;
  readonly git: SimpleGit;
  /** Writes a file (creating folders) and commits everything; returns the sha. */
  commit(path: string, text: string, message?: string): Promise<string>;
}

async function createRemote(root: string): Promise<Remote> {
  const dir = join(root, 'remote');
  await mkdir(dir);
  const git = await initRepo(dir);
  return {
    dir,
    git,
    async commit(path, text, message = `edit ${path}`) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
      return commitAll(git, message);
    },
  };
}

/** The chain of messages of an error and its causes, to check nothing secret hides in a cause. */
function messages(err: unknown): string {
  const parts: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) parts.push(e.message, e.stack ?? '');
  return parts.join('\n');
}

describe('GitMirror', () => {
  let root: string;
  let remote: Remote;
  let mirrorDir: string;
  let mirror: GitMirror;

  beforeEach(async () => {
    root = await makeTempDir('ringmaster-mirror-');
    remote = await createRemote(root);
    mirrorDir = join(root, 'state', 'mirror.git');
    mirror = new GitMirror({ remote: remote.dir, branch: 'main', dir: mirrorDir });
  });
  afterEach(async () => {
    await removeDir(root);
  });

  it('creates the mirror once and then finds it unchanged', async () => {
    await remote.commit('groups/a.yaml', 'a: 1\n');
    expect(await mirror.ensure()).toBe('created');
    expect(await mirror.ensure()).toBe('unchanged');
    const again = new GitMirror({ remote: remote.dir, branch: 'main', dir: mirrorDir });
    expect(await again.ensure()).toBe('unchanged');
  });

  it('gives the head as the only commit on the first fetch, without following it yet', async () => {
    const head = await remote.commit('groups/a.yaml', 'a: 1\n');
    const result = await mirror.fetch();
    expect(result).toEqual({ head, moved: true, fastForward: true, commits: [head] });
    expect(await mirror.followed()).toBeUndefined();
  });

  it('lists the commits pushed between two ticks, oldest first, and accept follows the newest', async () => {
    const first = await remote.commit('groups/a.yaml', 'a: 1\n');
    await mirror.accept((await mirror.fetch()).head);
    const second = await remote.commit('groups/b.yaml', 'b: 1\n');
    const third = await remote.commit('policies/p.yaml', 'p: 1\n');
    const result = await mirror.fetch();
    expect(result).toEqual({
      head: third,
      previous: first,
      moved: true,
      fastForward: true,
      commits: [second, third],
    });
    expect(await mirror.followed()).toBe(first);
    await mirror.accept(third);
    expect(await mirror.followed()).toBe(third);
    expect(await mirror.fetch()).toEqual({
      head: third,
      previous: third,
      moved: false,
      fastForward: true,
      commits: [],
    });
  });

  it('lists only the first-parent line when a branch is merged', async () => {
    const base = await remote.commit('groups/a.yaml', 'a: 1\n');
    await mirror.accept((await mirror.fetch()).head);
    await remote.git.checkoutLocalBranch('feature');
    await remote.commit('groups/f.yaml', 'f: 1\n');
    await remote.git.checkout('main');
    await remote.git.raw(['merge', '--no-ff', '--quiet', '-m', 'merge feature', 'feature']);
    const merge = (await remote.git.revparse(['HEAD'])).trim();
    const result = await mirror.fetch();
    expect(result.previous).toBe(base);
    expect(result.commits).toEqual([merge]);
    expect(await mirror.changedFiles(base, merge)).toEqual(['groups/f.yaml']);
  });

  it('reports a force push as no fast-forward and keeps following the old head until the rewrite is accepted', async () => {
    const first = await remote.commit('groups/a.yaml', 'a: 1\n');
    const old = await remote.commit('groups/a.yaml', 'a: 2\n');
    await mirror.accept((await mirror.fetch()).head);
    await remote.git.raw(['reset', '--hard', '--quiet', first]);
    const rewritten = await remote.commit('groups/a.yaml', 'a: 3\n', 'rewritten history');

    const result = await mirror.fetch();
    expect(result).toEqual({
      head: rewritten,
      previous: old,
      moved: true,
      fastForward: false,
      commits: [rewritten],
    });
    expect(await mirror.followed()).toBe(old);
    await expect(mirror.accept(rewritten)).rejects.toMatchObject({
      constructor: ConfigurationError,
      reason: 'NotFastForward',
    });
    expect(await mirror.followed()).toBe(old);
    expect((await mirror.fetch()).fastForward).toBe(false);

    await mirror.acceptRewrite(rewritten);
    expect(await mirror.followed()).toBe(rewritten);
    // The abandoned head stays readable, so a group that ran it can still be rolled back to it.
    const files = await mirror.source(old).read(['groups/a.yaml']);
    expect(files.get('groups/a.yaml')?.toString()).toBe('a: 2\n');
    const next = await remote.commit('groups/a.yaml', 'a: 4\n');
    expect(await mirror.fetch()).toMatchObject({ previous: rewritten, fastForward: true, commits: [next] });
  });

  it('refuses to accept a rewrite to a commit that is not on the fetched branch', async () => {
    const first = await remote.commit('groups/a.yaml', 'a: 1\n');
    const second = await remote.commit('groups/a.yaml', 'a: 2\n');
    await mirror.fetch();
    await remote.git.raw(['reset', '--hard', '--quiet', first]);
    await remote.commit('groups/a.yaml', 'a: 3\n');
    await mirror.fetch();
    await expect(mirror.acceptRewrite(second)).rejects.toMatchObject({
      constructor: ConfigurationError,
      reason: 'NotOnBranch',
    });
    expect(await mirror.followed()).toBeUndefined();
  });

  it('refuses to move the followed head backwards', async () => {
    const first = await remote.commit('groups/a.yaml', 'a: 1\n');
    const second = await remote.commit('groups/a.yaml', 'a: 2\n');
    await mirror.fetch();
    await mirror.accept(second);
    await expect(mirror.accept(first)).rejects.toBeInstanceOf(ConfigurationError);
    expect(await mirror.followed()).toBe(second);
  });

  it('reads a file of a commit from the mirror', async () => {
    const head = await remote.commit('groups/globex.yaml', 'name: globex\n');
    await mirror.fetch();
    const files = await mirror.source(head).read(['groups/globex.yaml']);
    expect(files.get('groups/globex.yaml')?.toString()).toBe('name: globex\n');
    expect(mirror.source(head).commit).toBe(head);
  });

  it('rejects a source for anything but a full sha, or before the mirror exists', () => {
    expect(() => mirror.source('HEAD')).toThrow(ConfigurationError);
    expect(() => mirror.source('a'.repeat(40))).toThrow(NotFoundError);
  });

  it('lists exactly the changed paths below groups and policies, a rename as both paths', async () => {
    await remote.commit('groups/a.yaml', 'a: 1\n');
    await remote.commit('groups/old.yaml', 'o: 1\n');
    const from = await remote.commit('README.md', 'hello\n');
    await remote.git.raw(['mv', 'groups/old.yaml', 'groups/new.yaml']);
    await writeFile(join(remote.dir, 'groups/a.yaml'), 'a: 2\n');
    await mkdir(join(remote.dir, 'policies'));
    await writeFile(join(remote.dir, 'policies/promotion.yaml'), 'p: 1\n');
    await writeFile(join(remote.dir, 'README.md'), 'changed\n');
    const to = await commitAll(remote.git, 'several changes');
    await mirror.fetch();
    expect(await mirror.changedFiles(from, to)).toEqual([
      'groups/a.yaml',
      'groups/new.yaml',
      'groups/old.yaml',
      'policies/promotion.yaml',
    ]);
    expect(await mirror.changedFiles(to, to)).toEqual([]);
  });

  it('gives the committer date of a fetched commit (through the object reader)', async () => {
    await remote.commit('groups/a.yaml', 'a: 1\n');
    // Through git directly: simple-git refuses GIT_* variables in its environment. The author date differs on purpose.
    await run('git', ['commit', '--amend', '--no-edit', '--quiet', '--date=2020-01-01T00:00:00Z'], {
      cwd: remote.dir,
      env: { ...process.env, GIT_COMMITTER_DATE: '2026-11-22T10:00:00Z' },
    });
    const head = (await remote.git.revparse(['HEAD'])).trim();
    await mirror.fetch();
    const reader = new GitObjectReader(mirrorDir);
    expect((await reader.committedAt(head)).toISOString()).toBe('2026-11-22T10:00:00.000Z');
    await reader.close();
  });

  it('maintains the mirror after its first fetch, in the background, and not after every fetch', async () => {
    await remote.commit('groups/a.yaml', 'a: 1\n');
    await mirror.ensure();
    // A maintenance task that packs as soon as one object is loose makes each maintenance run visible as a new pack.
    await run('git', ['config', 'maintenance.loose-objects.enabled', 'true'], { cwd: mirrorDir });
    await run('git', ['config', 'maintenance.loose-objects.auto', '1'], { cwd: mirrorDir });
    const packs = async () =>
      (await run('git', ['count-objects', '-v'], { cwd: mirrorDir })).stdout.match(/^packs: (\d+)$/m)![1];
    const loose = async () =>
      Number(
        (await run('git', ['count-objects', '-v'], { cwd: mirrorDir })).stdout.match(/^count: (\d+)$/m)![1],
      );

    await mirror.fetch();
    await mirror.maintained();
    const afterFirst = await packs();
    expect(Number(afterFirst)).toBeGreaterThan(0);

    await remote.commit('groups/b.yaml', 'b: 1\n');
    const before = await loose();
    const second = await mirror.fetch();
    await mirror.maintained();
    // The new commit's objects stay loose: no maintenance ran with the second fetch (git's own would have packed them).
    expect(second.moved).toBe(true);
    expect(await packs()).toBe(afterFirst);
    expect(await loose()).toBeGreaterThan(before);
  });

  it('throws NotFoundError from fetch for a branch the remote lacks', async () => {
    const call = (m: GitMirror) => m.fetch();
    await remote.commit('groups/a.yaml', 'a: 1\n');
    const other = new GitMirror({ remote: remote.dir, branch: 'release', dir: join(root, 'other.git') });
    const err: unknown = await call(other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ reason: 'BranchNotFound' });
    expect((err as Error).message).toContain('"release"');
    expect((err as Error).message).toContain(remote.dir);
  });

  it('throws TransientError from fetch for an unreachable remote path', async () => {
    const call = (m: GitMirror) => m.fetch();
    const gone = join(root, 'no-such-remote');
    const lost = new GitMirror({ remote: gone, branch: 'main', dir: mirrorDir });
    const err: unknown = await call(lost).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ reason: 'RemoteUnreachable' });
    expect((err as Error).message).toContain(gone);
    expect((err as Error).message).toContain('"main"');
  });

  it('refuses a mirror folder of another remote', async () => {
    await mirror.ensure();
    const elsewhere = new GitMirror({ remote: join(root, 'elsewhere'), branch: 'main', dir: mirrorDir });
    await expect(elsewhere.ensure()).rejects.toMatchObject({
      constructor: ConfigurationError,
      reason: 'MirrorOfAnotherRemote',
    });
    const otherBranch = new GitMirror({ remote: remote.dir, branch: 'develop', dir: mirrorDir });
    await expect(otherBranch.ensure()).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('refuses a folder that holds something else', async () => {
    await mkdir(mirrorDir, { recursive: true });
    await writeFile(join(mirrorDir, 'notes.txt'), 'mine\n');
    await expect(mirror.ensure()).rejects.toMatchObject({ reason: 'MirrorFolderInUse' });
  });

  it.each(['-upload', 'a..b', 'bad name'])('refuses the branch name %j', async (branch) => {
    const bad = new GitMirror({ remote: remote.dir, branch, dir: mirrorDir });
    await expect(bad.ensure()).rejects.toMatchObject({
      constructor: ConfigurationError,
      reason: 'BadBranch',
    });
  });

  it('never shows the credentials of a remote URL', async () => {
    const url = 'https://user:secret@127.0.0.1:1/repo.git';
    const dir = join(root, 'https.git');
    const withSecret = new GitMirror({ remote: url, branch: 'main', dir });
    expect(withSecret.label).toBe('branch "main" of https://127.0.0.1:1/repo.git');
    // Twice: the first fetch also sets the mirror up.
    for (const call of [() => withSecret.fetch(), () => withSecret.fetch()]) {
      const err: unknown = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as Error).message).toContain('https://127.0.0.1:1/repo.git');
      expect(messages(err)).not.toContain('secret');
    }
    const other = new GitMirror({ remote: 'https://user:secret@127.0.0.1:1/other.git', branch: 'main', dir });
    const err: unknown = await other.ensure().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('https://127.0.0.1:1/repo.git');
    expect(messages(err)).not.toContain('secret');
  });

  it('takes new credentials for the same remote', async () => {
    const dir = join(root, 'https.git');
    await new GitMirror({
      remote: 'https://user:old-token@127.0.0.1:1/repo.git',
      branch: 'main',
      dir,
    }).ensure();
    const rotated = new GitMirror({
      remote: 'https://user:new-token@127.0.0.1:1/repo.git',
      branch: 'main',
      dir,
    });
    expect(await rotated.ensure()).toBe('updated');
    expect(await rotated.ensure()).toBe('unchanged');
    // The config keeps the URL with its credentials: only the controller's user may read it.
    const config = join(dir, 'config');
    expect(await readFile(config, 'utf8')).toContain('https://user:new-token@127.0.0.1:1/repo.git');
    expect((await stat(config)).mode & 0o777).toBe(0o600);
  });
});

describe('GitMirror reading ancestry through a long-lived reader', () => {
  // Two mirrors of one remote, one asking git for ancestry and one reading commits through the reader:
  // every fetch must give the same answer.
  let root: string;
  let remote: Remote;
  let plain: GitMirror;
  let read: GitMirror;
  let objects: GitObjectReader;

  beforeEach(async () => {
    root = await makeTempDir('ringmaster-mirror-reader-');
    remote = await createRemote(root);
    plain = new GitMirror({ remote: remote.dir, branch: 'main', dir: join(root, 'plain.git') });
    objects = new GitObjectReader(join(root, 'read.git'));
    read = new GitMirror({ remote: remote.dir, branch: 'main', dir: join(root, 'read.git'), refs: objects });
  });
  afterEach(async () => {
    await objects.close();
    await removeDir(root);
  });

  const fetchBoth = async () => {
    const [a, b] = await Promise.all([plain.fetch(), read.fetch()]);
    expect(b).toEqual(a);
    return b;
  };
  const acceptBoth = async (sha: string) => {
    await plain.accept(sha);
    await read.accept(sha);
  };
  const emptyCommits = (n: number) =>
    run('sh', ['-c', `for i in $(seq ${n}); do git commit -q --allow-empty -m "empty $i"; done`], {
      cwd: remote.dir,
    });

  it('lists the new commits of the first-parent line, a merge counting as one', async () => {
    const first = await remote.commit('groups/a.yaml', 'a: 1\n');
    await acceptBoth((await fetchBoth()).head);
    await remote.git.checkoutLocalBranch('feature');
    await remote.commit('groups/f.yaml', 'f: 1\n');
    await remote.git.checkout('main');
    const second = await remote.commit('groups/b.yaml', 'b: 1\n');
    await remote.git.raw(['merge', '--no-ff', '--quiet', '-m', 'merge feature', 'feature']);
    const merge = (await remote.git.revparse(['HEAD'])).trim();
    const result = await fetchBoth();
    expect(result).toEqual({
      head: merge,
      previous: first,
      moved: true,
      fastForward: true,
      commits: [second, merge],
    });
    await acceptBoth(merge);
    expect(await read.followed()).toBe(merge);
  });

  it('asks git when the new head is far ahead or the followed head is off its first-parent line', async () => {
    const base = await remote.commit('groups/a.yaml', 'a: 1\n');
    await acceptBoth((await fetchBoth()).head);
    await emptyCommits(70);
    const far = await fetchBoth();
    expect(far.fastForward).toBe(true);
    expect(far.commits).toHaveLength(70);
    await acceptBoth(far.head);

    // The followed head becomes the second parent of a merge made on another line.
    await remote.git.checkoutBranch('other', base);
    const aside = await remote.commit('groups/o.yaml', 'o: 1\n');
    await remote.git.raw(['merge', '--no-ff', '--quiet', '-m', 'merge main', 'main']);
    const merge = (await remote.git.revparse(['HEAD'])).trim();
    await remote.git.raw(['branch', '-f', 'main', merge]);
    const result = await fetchBoth();
    expect(result).toMatchObject({ head: merge, previous: far.head, fastForward: true });
    expect(result.commits).toEqual([aside, merge]);
    await acceptBoth(merge);
  });

  it('starts one git process to fetch an unchanged branch, and one more to follow a new commit', async () => {
    await remote.commit('groups/a.yaml', 'a: 1\n');
    await read.accept((await read.fetch()).head);
    const children = recordGitChildren();
    try {
      expect(await read.fetch()).toMatchObject({ moved: false });
      expect(children.commands()).toEqual([expect.stringMatching(/ fetch /)]);
      const next = await remote.commit('groups/a.yaml', 'a: 2\n');
      children.clear();
      expect(await read.fetch()).toMatchObject({
        head: next,
        moved: true,
        fastForward: true,
        commits: [next],
      });
      await read.accept(next);
      // The fetch, and the move of the followed head.
      expect(children.commands()).toEqual([
        expect.stringMatching(/ fetch /),
        expect.stringMatching(/^update-ref /),
      ]);
    } finally {
      children.restore();
    }
  });

  it('reports a force push as no fast-forward, and refuses to accept it', async () => {
    const first = await remote.commit('groups/a.yaml', 'a: 1\n');
    const old = await remote.commit('groups/a.yaml', 'a: 2\n');
    await acceptBoth((await fetchBoth()).head);
    await remote.git.raw(['reset', '--hard', '--quiet', first]);
    const rewritten = await remote.commit('groups/a.yaml', 'a: 3\n', 'rewritten history');
    expect(await fetchBoth()).toEqual({
      head: rewritten,
      previous: old,
      moved: true,
      fastForward: false,
      commits: [rewritten],
    });
    await expect(read.accept(rewritten)).rejects.toBeInstanceOf(ConfigurationError);
    expect(await read.followed()).toBe(old);
  });
});
