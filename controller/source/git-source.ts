import type { SimpleGit } from 'simple-git';
import { ConfigurationError, NotFoundError } from '../errors.js';
import {
  type FileSource,
  type ListOptions,
  type SourceEntry,
  checkFileCount,
  topFolderOf,
} from '../model/file-source.js';
import type { GitObjectReader } from './git-object-reader.js';

/** Paths per `git show` call: keeps the command line far below the system limit. */
const READ_BATCH = 500;
/** Up to this many paths `read` looks up one by one; more in one pass over the listing. */
const FEW_PATHS = 32;

/**
 * Resolves `rev` (a branch, tag or sha) to a full commit sha, through
 * `objects` when given (no child process), else `git rev-parse`.
 * Throws NotFoundError when the revision does not name a commit.
 */
export async function resolveCommit(
  git: SimpleGit,
  rev: string,
  objects?: Pick<GitObjectReader, 'commitOf'>,
): Promise<string> {
  if (rev.startsWith('-'))
    throw new ConfigurationError('BadRevision', `Revision "${rev}" must not start with "-".`);
  const notFound = (cause?: unknown) =>
    new NotFoundError(
      'RevisionNotFound',
      `Revision "${rev}" is not a commit of this repository; check the name, or fetch it first.`,
      { cause },
    );
  if (objects) {
    const sha = await objects.commitOf(rev);
    if (!sha) throw notFound();
    return sha;
  }
  let sha: string;
  try {
    sha = (await git.revparse(['--verify', '--quiet', `${rev}^{commit}`])).trim();
  } catch (err) {
    throw notFound(err);
  }
  // With --quiet git prints nothing for an unknown name, and simple-git may not treat that as a failure.
  if (!/^[0-9a-f]{40,64}$/.test(sha)) throw notFound();
  return sha;
}

/**
 * A FileSource over one commit, read through git itself, never through the
 * working tree. Construct it with a resolved commit sha. Without a reader it
 * runs `git ls-tree` and `git show`, which finds each file by its path, a
 * search of its folder's tree each time: fine for a few files, quadratic for
 * a folder of thousands. With a GitObjectReader (shared by the sources of one
 * repository) it lists and reads through that reader's one `git cat-file`
 * child, trees once and every file by its object id, and lists only what
 * changed since the reader's last listing.
 */
export class GitCommitSource implements FileSource {
  readonly label: string;
  /** Sizes of the entries listed so far: a commit never changes, so `read` need not list again. */
  readonly #sizes = new Map<string, number>();
  /** Listings made through the reader, searched by `read` for the object ids. */
  readonly #listed: (readonly SourceEntry[])[] = [];

  constructor(
    private readonly git: SimpleGit,
    readonly commit: string,
    private readonly objects?: GitObjectReader,
  ) {
    this.label = `commit ${commit.slice(0, 12)}`;
  }

  /** The same commit, read through `objects`, which must read this source's repository. */
  withReader(objects: GitObjectReader): GitCommitSource {
    return new GitCommitSource(this.git, this.commit, objects);
  }

  async list(folders: readonly string[], options: ListOptions = {}): Promise<SourceEntry[]> {
    if (this.objects) {
      const entries = await this.objects.list(this.commit, folders, options);
      this.#listed.push(entries);
      return entries;
    }
    const out = await this.git.raw([
      'ls-tree',
      '-r',
      '-l',
      '-z',
      '--full-tree',
      this.commit,
      '--',
      ...folders,
    ]);
    const records = out.split('\0').filter(Boolean);
    if (options.maxFiles !== undefined && records.length > options.maxFiles) {
      const counts = new Map<string, number>();
      for (const record of records) {
        const top = topFolderOf(record.slice(record.indexOf('\t') + 1));
        counts.set(top, (counts.get(top) ?? 0) + 1);
      }
      checkFileCount(counts, options.maxFiles);
    }
    const entries: SourceEntry[] = [];
    for (const record of records) {
      const tab = record.indexOf('\t');
      const [mode, kind, id, size] = record.slice(0, tab).split(/\s+/);
      const path = record.slice(tab + 1);
      const type = kind !== 'blob' ? 'other' : mode === '120000' ? 'symlink' : 'file';
      entries.push({ path, type, size: Number(size) || 0, id });
      this.#sizes.set(path, Number(size) || 0);
    }
    return entries;
  }

  async read(paths: readonly string[]): Promise<Map<string, Buffer>> {
    const result = new Map<string, Buffer>();
    if (paths.length === 0) return result;
    if (this.objects) return this.#readObjects(this.objects, paths);
    if (paths.some((p) => !this.#sizes.has(p))) await this.list(topFolders(paths));
    const sizes = this.#sizes;
    for (let i = 0; i < paths.length; i += READ_BATCH) {
      const batch = paths.slice(i, i + READ_BATCH);
      // `git show` of several blobs prints their bytes back to back; the sizes split them.
      const all = await this.git.showBuffer(batch.map((p) => `${this.commit}:${p}`));
      let offset = 0;
      for (const path of batch) {
        const size = sizes.get(path);
        if (size === undefined) throw new NotFoundError('FileNotFound', `${path} is not in ${this.label}.`);
        result.set(path, all.subarray(offset, offset + size));
        offset += size;
      }
    }
    return result;
  }

  async #readObjects(objects: GitObjectReader, paths: readonly string[]): Promise<Map<string, Buffer>> {
    let ids = this.#idsOf(paths);
    if (ids.size < new Set(paths).size) {
      this.#listed.push(await objects.list(this.commit, topFolders(paths)));
      ids = this.#idsOf(paths);
    }
    for (const path of paths) {
      if (!ids.has(path)) throw new NotFoundError('FileNotFound', `${path} is not in ${this.label}.`);
    }
    const byId = await objects.read([...ids.values()], (id) => {
      const path = [...ids].find(([, v]) => v === id)![0];
      return `${path} of ${this.label}`;
    });
    return new Map(paths.map((p) => [p, byId.get(ids.get(p)!)!]));
  }

  /** Object ids of those of `paths` listed so far. */
  #idsOf(paths: readonly string[]): Map<string, string> {
    const ids = new Map<string, string>();
    if (paths.length <= FEW_PATHS) {
      // A commit's few changed files: a search each, rather than a pass over 10,000 entries.
      for (const path of paths) {
        for (const listing of this.#listed) {
          const id = findListed(listing, path)?.id;
          if (id) ids.set(path, id);
        }
      }
      return ids;
    }
    const wanted = new Set(paths);
    for (const listing of this.#listed) {
      for (const entry of listing) if (entry.id && wanted.has(entry.path)) ids.set(entry.path, entry.id);
    }
    return ids;
  }
}

/**
 * The entry at `path` in a listing. Git lists paths in the byte order of
 * their UTF-8 spelling, so a binary search finds it; a scan backs it up.
 */
function findListed(listing: readonly SourceEntry[], path: string): SourceEntry | undefined {
  const key = Buffer.from(path);
  let lo = 0;
  let hi = listing.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const order = Buffer.compare(Buffer.from(listing[mid]!.path), key);
    if (order === 0) return listing[mid];
    if (order < 0) lo = mid + 1;
    else hi = mid;
  }
  return listing.find((e) => e.path === path);
}

function topFolders(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => p.split('/')[0] ?? p))];
}
