import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SimpleGit } from 'simple-git';
import { NotFoundError, TransientError } from '../../controller/errors.js';
import { GitObjectReader } from '../../controller/source/git-object-reader.js';
import { GitCommitSource, resolveCommit } from '../../controller/source/git-source.js';
import { commitAll, initRepo, makeTempDir, removeDir } from '../helpers/git.js';

const run = promisify(execFile);
const FOLDERS = ['groups', 'policies'];

async function put(dir: string, path: string, text: string | Buffer): Promise<void> {
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), text);
}

/** The pids of the cat-file children reading `dir`. */
async function catFilePids(dir: string): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((line) => line.includes('cat-file --batch-command') && line.includes(dir))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

function digests(files: ReadonlyMap<string, Buffer>): [string, string][] {
  return [...files].map(([path, bytes]) => [path, createHash('sha256').update(bytes).digest('hex')]);
}

/** Handles that keep Node running, of the kinds a child process holds. */
function childHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap' || r === 'PipeWrap').length;
}

describe('GitObjectReader', () => {
  let dir: string;
  let git: SimpleGit;
  let reader: GitObjectReader;
  beforeEach(async () => {
    dir = await makeTempDir();
    git = await initRepo(dir);
    reader = new GitObjectReader(dir);
  });
  afterEach(async () => {
    await reader.close();
    await removeDir(dir);
  });

  /** Expects the reader to list and read `commit` exactly as `git ls-tree` and `git show` do. */
  async function expectSameAsGit(commit: string, options = { read: true }): Promise<void> {
    const plain = new GitCommitSource(git, commit);
    const viaReader = new GitCommitSource(git, commit, reader);
    const expected = await plain.list(FOLDERS);
    const listed = await viaReader.list(FOLDERS);
    expect(listed).toEqual(expected);
    if (!options.read) return;
    const readable = expected.filter((e) => e.type !== 'other').map((e) => e.path);
    // Digests: Jest compares a 2 MB buffer byte by byte, slowly.
    expect(digests(await viaReader.read(readable))).toEqual(digests(await plain.read(readable)));
  }

  it('lists and reads commit after commit as ls-tree and show do, whatever changed between them', async () => {
    await put(dir, 'groups/a.yaml', 'a: 1\n');
    await put(dir, 'groups/b c.yaml', 'b: 1\n');
    await put(dir, 'groups/ünïcode.yaml', 'u: 1\n');
    await put(dir, 'groups/line\nbreak.yaml', 'n: 1\n');
    await put(dir, 'groups/run.sh', '#!/bin/sh\n');
    await chmod(join(dir, 'groups/run.sh'), 0o755);
    await symlink('a.yaml', join(dir, 'groups/link.yaml'));
    await put(dir, 'groups/sub/deep/file.yaml', 'd: 1\n');
    await put(dir, 'groups/sub-file.yaml', 'sorts between sub and sub/\n');
    await put(dir, 'groups/big.yaml', Buffer.alloc(2 * 1024 * 1024, 'x'));
    await put(dir, 'policies/promotion.yaml', 'p: 1\n');
    await put(dir, 'docs/readme.md', 'not listed\n');
    const first = await commitAll(git, 'first');
    // A submodule: a commit id in the tree, listed as 'other'.
    await git.raw(['update-index', '--add', '--cacheinfo', `160000,${first},groups/module`]);
    const withModule = await commitAll(git, 'a submodule');
    await expectSameAsGit(first);
    await expectSameAsGit(withModule);

    await put(dir, 'groups/a.yaml', 'a: 2\n');
    await rm(join(dir, 'groups/b c.yaml'));
    await put(dir, 'groups/new.yaml', 'n: 1\n');
    await put(dir, 'groups/sub/deep/file.yaml', 'd: 2\n');
    await chmod(join(dir, 'groups/run.sh'), 0o644);
    await rm(join(dir, 'groups/link.yaml'));
    await symlink('new.yaml', join(dir, 'groups/link.yaml'));
    const second = await commitAll(git, 'second');
    await expectSameAsGit(second);

    // A folder replaced by a file, and policies/ replaced by a symlink.
    await rm(join(dir, 'groups/sub'), { recursive: true });
    await put(dir, 'groups/sub', 'now a file\n');
    await rm(join(dir, 'policies'), { recursive: true });
    await symlink('groups', join(dir, 'policies'));
    const third = await commitAll(git, 'third');
    await expectSameAsGit(third);

    // A rewritten branch: a commit that shares no history, then the first commit again.
    await git.raw(['checkout', '--orphan', 'rewritten']);
    await git.raw(['rm', '-r', '-q', '--cached', '.']);
    await rm(join(dir, 'groups'), { recursive: true });
    await put(dir, 'groups/a.yaml', 'a: 1\n');
    await put(dir, 'groups/other.yaml', 'o: 1\n');
    const orphan = await commitAll(git, 'orphan');
    await expectSameAsGit(orphan);
    await expectSameAsGit(first);
    await expectSameAsGit(second);
  });

  it('keeps listing large folders right whatever part of them changes', async () => {
    let seed = 3;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const names = new Set<string>();
    const name = () => `g${'x'.repeat(rnd(30))}${rnd(100_000)}.yaml`;
    // Over 64 KiB of tree: read into recycled buffers.
    for (let i = 0; i < 2000; i++) names.add(name());
    for (const n of names) await put(dir, `groups/${n}`, `${n}\n`);
    await put(dir, 'groups/releases/r.yaml', 'r\n');
    const commits = [await commitAll(git, 'many files')];
    const listOnly = { read: false }; // reading is checked above; here 2,000 files would take long
    await expectSameAsGit(commits[0]!, listOnly);
    for (let step = 0; step < 12; step++) {
      for (let edits = 1 + rnd(4); edits > 0; edits--) {
        const all = [...names].sort();
        // Edits near both ends as well as anywhere: the unchanged head and tail are taken over whole.
        const at = [0, all.length - 1, rnd(all.length)][rnd(3)]!;
        const victim = all[at]!;
        const what = rnd(4);
        if (what === 0) await put(dir, `groups/${victim}`, `${victim} ${step}\n`);
        else if (what === 1 && names.size > 1) {
          names.delete(victim);
          await rm(join(dir, 'groups', victim));
        } else if (what === 2) {
          const added = rnd(2) ? name() : `${victim.slice(0, -5)}a.yaml`;
          names.add(added);
          await put(dir, `groups/${added}`, `${added}\n`);
        } else await put(dir, 'groups/releases/r.yaml', `r ${step}\n`);
      }
      commits.push(await commitAll(git, `step ${step}`));
      await expectSameAsGit(commits.at(-1)!, listOnly);
    }
    // And back: earlier commits against whatever was listed last.
    for (const commit of commits.reverse().filter((_, i) => i % 3 === 1)) {
      await expectSameAsGit(commit, listOnly);
    }
  }, 60_000);

  it('resolves revisions and tells commit times as git does', async () => {
    await put(dir, 'groups/a.yaml', 'a\n');
    const first = await commitAll(git, 'first');
    await git.raw(['tag', '-a', 'v1', '-m', 'an annotated tag']);
    await put(dir, 'groups/a.yaml', 'b\n');
    const second = await commitAll(git, 'second');
    for (const rev of ['HEAD', 'main', 'v1', first, first.slice(0, 10), 'HEAD~1']) {
      expect(await resolveCommit(git, rev, reader)).toBe(await resolveCommit(git, rev));
    }
    for (const rev of ['nope', 'HEAD~5', 'main:groups', 'a b']) {
      await expect(resolveCommit(git, rev, reader)).rejects.toThrow(NotFoundError);
    }
    await expect(resolveCommit(git, '--all', reader)).rejects.toThrow('must not start with "-"');
    const shown = (await git.raw(['show', '-s', '--format=%cI', second])).trim();
    expect(await reader.committedAt(second)).toEqual(new Date(shown));
    await expect(reader.committedAt('0'.repeat(40))).rejects.toThrow(NotFoundError);
  });

  it('says which commit is missing, and which file of a commit is', async () => {
    await put(dir, 'groups/a.yaml', 'only here\n');
    const commit = await commitAll(git, 'first');
    await expect(reader.list('0'.repeat(40), FOLDERS)).rejects.toThrow(NotFoundError);
    await expect(reader.list('0'.repeat(40), FOLDERS)).rejects.toThrow(
      /Commit 0{40} is not in the repository/,
    );

    const source = new GitCommitSource(git, commit, reader);
    const [entry] = await source.list(FOLDERS);
    await rm(join(dir, '.git/objects', entry!.id!.slice(0, 2), entry!.id!.slice(2)));
    const read = source.read(['groups/a.yaml']);
    await expect(read).rejects.toThrow(NotFoundError);
    await expect(source.read(['groups/a.yaml'])).rejects.toThrow(
      `groups/a.yaml of commit ${commit.slice(0, 12)} (object ${entry!.id}) is missing from the repository`,
    );
    await expect(source.read(['groups/absent.yaml'])).rejects.toThrow('groups/absent.yaml is not in commit');
  });

  it('fails clearly when the folder is not a git repository', async () => {
    const elsewhere = await makeTempDir();
    const lost = new GitObjectReader(elsewhere);
    try {
      const listing = lost.list('0'.repeat(40), FOLDERS);
      await expect(listing).rejects.toThrow(TransientError);
      await expect(lost.list('0'.repeat(40), FOLDERS)).rejects.toThrow(
        /cat-file in .* stopped .*not a git repository/,
      );
    } finally {
      await lost.close();
      await removeDir(elsewhere);
    }
  });

  it('starts a new child when its child died', async () => {
    await put(dir, 'groups/a.yaml', 'a: 1\n');
    const commit = await commitAll(git, 'first');
    await reader.list(commit, FOLDERS);
    const [pid] = await catFilePids(dir);
    process.kill(pid!, 'SIGKILL'); // asked again at once: the request may reach the dying child or a new one
    const source = new GitCommitSource(git, commit, reader);
    await source.list(FOLDERS);
    expect(await source.read(['groups/a.yaml'])).toEqual(new Map([['groups/a.yaml', Buffer.from('a: 1\n')]]));
    expect(await catFilePids(dir)).not.toContain(pid);
  });

  it('keeps Node running only while a request waits, and lets its child go on close', async () => {
    await put(dir, 'groups/a.yaml', 'a: 1\n');
    const commit = await commitAll(git, 'first');
    await new Promise((resolve) => setTimeout(resolve, 100)); // for git's own children to be gone
    const idle = childHandles();
    const listing = reader.list(commit, FOLDERS);
    expect(childHandles()).toBeGreaterThan(idle);
    await listing;
    expect(childHandles()).toBe(idle);
    expect(await catFilePids(dir)).toHaveLength(1);
    await reader.close();
    expect(await catFilePids(dir)).toEqual([]);
  });
});
