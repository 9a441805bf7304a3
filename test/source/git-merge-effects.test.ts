import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GitMergeEffects } from '../../controller/source/git-merge-effects.js';
import { GitMirror } from '../../controller/source/mirror.js';
import { commitAll, initRepo, makeTempDir, removeDir } from '../helpers/git.js';
import {
  type WorkRepo,
  mergeCommit,
  pushBranch,
  squashCommit,
  writeEdits,
} from '../helpers/pull-requests.js';

const BASE = { 'groups/a.yaml': 'a: 1\nb: 1\n', 'policies/p.yaml': 'p: 1\n', 'README.md': 'readme\n' };
const CHANGE = { 'groups/a.yaml': 'a: 2\nb: 1\n' };

describe('GitMergeEffects: a commit against the merge of its pull request, in the mirror', () => {
  let root: string;
  let remote: WorkRepo;
  let mirror: GitMirror;
  let effects: GitMergeEffects;

  beforeEach(async () => {
    root = await makeTempDir('ringmaster-merges-');
    const dir = join(root, 'remote');
    await mkdir(dir);
    remote = { dir, git: await initRepo(dir) };
    await writeEdits(remote, BASE);
    await commitAll(remote.git, 'base');
    mirror = new GitMirror({ remote: dir, branch: 'main', dir: join(root, 'mirror.git') });
    effects = new GitMergeEffects(mirror);
  });
  afterEach(() => removeDir(root));

  /** Fetches main into the mirror and compares `commit` with the merge of pull request 7's head `head`. */
  async function compare(commit: string, head: string) {
    await mirror.fetch();
    return effects.compare(commit, head, 7);
  }

  it.each([
    ['a merge commit as git made it', mergeCommit, {}, { outcome: 'same' }],
    ['a squash commit as git made it', squashCommit, {}, { outcome: 'same' }],
    [
      'a merge commit carrying a change of its own',
      mergeCommit,
      { 'groups/b.yaml': 'smuggled: true\n' },
      { outcome: 'differs', paths: ['groups/b.yaml'] },
    ],
    [
      'a squash commit carrying a change of its own',
      squashCommit,
      { 'groups/a.yaml': 'a: 2\nb: 9\n', 'policies/p.yaml': 'p: 0\n' },
      { outcome: 'differs', paths: ['groups/a.yaml', 'policies/p.yaml'] },
    ],
    [
      'a merge commit changing only what the controller does not read',
      mergeCommit,
      { 'README.md': 'changed\n' },
      { outcome: 'same' },
    ],
  ])('compares %s', async (_name, merge, smuggle, expected) => {
    const [head] = await pushBranch(remote, 'promote', CHANGE);
    const commit = await merge(remote, 'promote', { number: 7, smuggle });
    expect(await compare(commit, head!)).toEqual(expected);
  });

  it("fetches a squashed pull request's head from refs/pull/<number>/head into a ref of its own", async () => {
    const [head] = await pushBranch(remote, 'promote', CHANGE);
    const commit = await squashCommit(remote, 'promote', { number: 7 });
    expect(await compare(commit, head!)).toEqual({ outcome: 'same' });
    const kept = await mirror
      .repository()
      .raw(['for-each-ref', '--format=%(objectname)', 'refs/ringmaster/pulls/']);
    expect(kept.trim()).toBe(head);
  });

  it('answers head-missing when the head is neither in the mirror nor on the remote', async () => {
    const [head] = await pushBranch(remote, 'promote', CHANGE);
    await remote.git.raw(['merge', '--squash', 'promote']);
    const commit = await commitAll(remote.git, 'squash without refs/pull');
    await remote.git.raw(['branch', '-D', 'promote']);
    expect(await compare(commit, head!)).toEqual({ outcome: 'head-missing' });
  });

  it('answers conflict, naming the paths, when the head does not merge cleanly onto the parent', async () => {
    const [head] = await pushBranch(remote, 'promote', CHANGE);
    await writeEdits(remote, { 'groups/a.yaml': 'a: 3\nb: 1\n' });
    await commitAll(remote.git, 'main moves the same line');
    await remote.git.raw(['merge', '--squash', 'promote']).catch(() => undefined);
    await writeEdits(remote, { 'groups/a.yaml': 'a: 2\nb: 1\n' });
    const commit = await commitAll(remote.git, 'conflict resolved by hand');
    await remote.git.raw(['update-ref', 'refs/pull/7/head', head!]);
    expect(await compare(commit, head!)).toEqual({ outcome: 'conflict', paths: ['groups/a.yaml'] });
  });

  it('refuses anything but full shas, before running git', async () => {
    await expect(effects.compare('main', 'a'.repeat(40), 7)).rejects.toMatchObject({ reason: 'BadCommit' });
  });
});
