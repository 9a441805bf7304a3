/**
 * The cap of FileSource.list, on each source: more entries than `maxFiles`
 * under the folders throw TooManyFilesError with the count per folder, and a
 * listing within the cap is the listing without one.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileSource, TooManyFilesError } from '../../controller/model/file-source.js';
import { DirectorySource } from '../../controller/source/dir-source.js';
import { GitObjectReader } from '../../controller/source/git-object-reader.js';
import { GitCommitSource } from '../../controller/source/git-source.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

const FOLDERS = ['groups', 'policies'];

describe('FileSource.list with maxFiles', () => {
  let repo: FixtureRepo;
  let reader: GitObjectReader;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    reader = new GitObjectReader(repo.dir);
  });
  afterEach(async () => {
    await reader.close();
    await removeDir(repo.dir);
  });

  const sources: [string, () => FileSource][] = [
    ['a folder on disk', () => new DirectorySource(repo.dir)],
    ['a commit through git ls-tree', () => new GitCommitSource(repo.git, repo.baseSha)],
    ['a commit through the object reader', () => new GitCommitSource(repo.git, repo.baseSha, reader)],
  ];

  it.each(sources)('refuses %s holding more entries, counted per folder', async (_what, open) => {
    // The fixture: rings, three groups and three releases in groups/, the policy in policies/.
    const listing = open().list(FOLDERS, { maxFiles: 7 });
    await expect(listing).rejects.toThrow(TooManyFilesError);
    const err = (await listing.catch((e: unknown) => e)) as TooManyFilesError;
    expect({ counts: Object.fromEntries(err.counts), total: err.total, limit: err.limit }).toEqual({
      counts: { groups: 7, policies: 1 },
      total: 8,
      limit: 7,
    });
    expect(err.message).toBe('8 files under groups/ and policies/, more than the 7 read at most');
  });

  it.each(sources)('lists %s within the cap as it does without one', async (_what, open) => {
    const plain = await open().list(FOLDERS);
    expect(plain).toHaveLength(8);
    expect(await open().list(FOLDERS, { maxFiles: 8 })).toEqual(plain);
  });

  it('counts a changed commit from the trees that changed, and lists it right after refusing it', async () => {
    const source = (commit: string) => new GitCommitSource(repo.git, commit, reader);
    await source(repo.baseSha).list(FOLDERS, { maxFiles: 8 });
    await mkdir(join(repo.dir, 'groups', 'releases', 'old'), { recursive: true });
    await writeFile(join(repo.dir, 'groups', 'releases', 'old', 'a.yaml'), 'a: 1\n');
    await writeFile(join(repo.dir, 'groups', 'extra.yaml'), 'b: 1\n');
    const next = await repo.commit('two more files, one in a new folder');
    const over = source(next).list(FOLDERS, { maxFiles: 9 });
    await expect(over).rejects.toThrow('10 files under groups/ and policies/, more than the 9 read at most');
    // The trees read for the count serve the listing: the same as git's own.
    const listed = await source(next).list(FOLDERS, { maxFiles: 10 });
    expect(listed).toEqual(await new GitCommitSource(repo.git, next).list(FOLDERS));
  });
});
