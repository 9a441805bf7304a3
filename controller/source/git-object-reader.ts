/**
 * Lists and reads the files of commits through one `git cat-file` child
 * (git-cat-file.ts), for every commit of one repository a process loads.
 * Listing walks tree objects itself: a directory whose tree id is one seen
 * before is not read again, and a changed directory is compared with its
 * last listing entry by entry, so only new blobs are asked for their size.
 * Everything is found by object id: commits need not descend from each other.
 * With a cap on the number of files, the trees are counted first (a changed
 * tree is read once, for the count and the listing): a commit over the cap
 * costs its trees, never a size or a blob.
 */
import { NotFoundError } from '../errors.js';
import { type ListOptions, type SourceEntry, checkFileCount } from '../model/file-source.js';
import { GitCatFile } from './git-cat-file.js';
import {
  FORMAT,
  SUBMODULE,
  SYMLINK,
  TREE,
  type TreeEntry,
  decodeEntry,
  entryEnd,
  parseTree,
} from './git-tree-format.js';
import { type DirListing, type ListingObjects, buildListing } from './git-tree-listing.js';

/** Trees read while counting, by id, for the listing that follows to take instead of reading them again. */
type ReadTrees = Map<string, Buffer>;

/** Trees from this size on are read into recycled buffers. */
const RECYCLE_BYTES = 64 * 1024;

/**
 * Reads commits of the repository at `dir` (a work tree or a bare
 * repository). Share one reader among the sources of that repository; call
 * `close` when done, or leave it: an idle reader never keeps Node running.
 */
export class GitObjectReader {
  readonly #git: GitCatFile;
  /** The last listing of each directory path, to compare the next one with. */
  readonly #dirs = new Map<string, DirListing>();
  /** How many listings of each path are being made: their base must stay as it is. */
  readonly #building = new Map<string, number>();
  /**
   * For each path, a buffer that held one of its earlier trees. Reading a large
   * tree into a fresh buffer costs a page fault every 4 KiB, each time.
   */
  readonly #spare = new Map<string, Buffer>();
  readonly #sizes: ListingObjects['sizes'] = async (blobs) => {
    const infos = await this.#git.info(blobs.map((b) => b.id));
    return infos.map((info, i) => {
      if (!info) throw missing(this.dir, `${blobs[i]!.path} (object ${blobs[i]!.id})`);
      return info.size;
    });
  };

  constructor(readonly dir: string) {
    this.#git = new GitCatFile(dir);
  }

  /**
   * Lists every entry below the top-level `folders` of `commit`, as
   * `git ls-tree -r -l --full-tree <commit> -- <folders>` would: in git's
   * order, symlinks (mode 120000) as symlinks, submodules as 'other', blob
   * sizes included; no blob's content is read. Throws NotFoundError when the
   * commit or one of its objects is missing, and TooManyFilesError when the
   * folders hold more than `options.maxFiles` entries (found by reading
   * trees only).
   */
  async list(commit: string, folders: readonly string[], options: ListOptions = {}): Promise<SourceEntry[]> {
    const [root] = await this.#git.contents([`${commit}^{tree}`]);
    if (root?.type !== 'tree') {
      throw new NotFoundError(
        'CommitNotFound',
        `Commit ${commit} is not in the repository at ${this.dir}; fetch it first.`,
      );
    }
    const tops = parseTree(root.content).filter((e) => folders.includes(e.name));
    const read: ReadTrees = new Map();
    if (options.maxFiles !== undefined) {
      const counts = await Promise.all(tops.map((e) => this.#countTop(e, read)));
      checkFileCount(new Map(tops.map((e, i) => [e.name, counts[i]!])), options.maxFiles);
    }
    const objects: ListingObjects = {
      listDir: (path, id) => this.#listDir(path, id, read),
      sizes: this.#sizes,
    };
    const parts = await Promise.all(tops.map((e) => this.#top(e, objects)));
    return ([] as SourceEntry[]).concat(...parts);
  }

  /**
   * The contents of the blobs `ids`, by id. Throws NotFoundError, naming
   * `what(id)`, when one is not in the repository.
   */
  async read(ids: readonly string[], what: (id: string) => string): Promise<Map<string, Buffer>> {
    const unique = [...new Set(ids)];
    const objects = await this.#git.contents(unique);
    const result = new Map<string, Buffer>();
    unique.forEach((id, i) => {
      const object = objects[i];
      if (!object) throw missing(this.dir, `${what(id)} (object ${id})`);
      result.set(id, object.content);
    });
    return result;
  }

  /**
   * The full sha of the commit `rev` names (a sha, a branch, a tag), or
   * undefined when it names none. Spares a `git rev-parse` child per look.
   */
  async commitOf(rev: string): Promise<string | undefined> {
    if (rev === '' || /\s/.test(rev)) return undefined;
    const [info] = await this.#git.info([`${rev}^{commit}`]);
    return info?.type === 'commit' ? info.id : undefined;
  }

  /** The parents of `commit`, first parent first; undefined when the repository has no such commit. */
  async parentsOf(commit: string): Promise<string[] | undefined> {
    const headers = await this.#commitHeaders(commit);
    return headers === undefined
      ? undefined
      : [...headers.matchAll(/^parent ([0-9a-f]{40,64})$/gm)].map((m) => m[1]!);
  }

  /** When `commit` was committed (its committer date). Throws NotFoundError when it is not in the repository. */
  async committedAt(commit: string): Promise<Date> {
    const headers = await this.#commitHeaders(commit);
    const seconds = headers && /^committer .* (\d+) [-+]\d{4}$/m.exec(headers)?.[1];
    if (!seconds) {
      throw new NotFoundError(
        'CommitNotFound',
        `Commit ${commit} is not in the repository at ${this.dir}; fetch it first.`,
      );
    }
    return new Date(Number(seconds) * 1000);
  }

  /** Stops the child process once it answered; a later call starts a new one. */
  close(): Promise<void> {
    return this.#git.close();
  }

  /** The header lines of the commit `commit` names (tree, parents, author, committer), or undefined. */
  async #commitHeaders(commit: string): Promise<string | undefined> {
    const [object] = await this.#git.contents([`${commit}^{commit}`]);
    if (object?.type !== 'commit') return undefined;
    return object.content.toString('utf8', 0, object.content.indexOf('\n\n'));
  }

  async #top(entry: TreeEntry, objects: ListingObjects): Promise<readonly SourceEntry[]> {
    const format = entry.mode & FORMAT;
    if (format === TREE) return (await objects.listDir(entry.name, entry.id)).entries;
    if (format === SUBMODULE) return [{ path: entry.name, type: 'other', size: 0, id: entry.id }];
    const [size] = await this.#sizes([{ path: entry.name, id: entry.id }]);
    return [
      { path: entry.name, type: entry.mode === SYMLINK ? 'symlink' : 'file', size: size!, id: entry.id },
    ];
  }

  /** How many entries the top-level `entry` holds: 1 unless it is a folder. */
  async #countTop(entry: TreeEntry, read: ReadTrees): Promise<number> {
    return (entry.mode & FORMAT) === TREE ? this.#countDir(entry.name, entry.id, read) : 1;
  }

  /**
   * How many entries (files, symlinks, submodules) the tree `id` at `path`
   * holds, recursively: a tree listed before is not read, any other is read
   * once and kept in `read` for the listing.
   */
  async #countDir(path: string, id: string, read: ReadTrees): Promise<number> {
    const known = this.#dirs.get(path);
    if (known?.id === id) return known.entries.length;
    const raw = await this.#readTree(path, id);
    read.set(id, raw);
    let count = 0;
    const subtrees: Promise<number>[] = [];
    for (let pos = 0; pos < raw.length;) {
      const end = entryEnd(raw, pos);
      // Only a tree's mode starts with "4" (40000); nothing else needs decoding.
      if (raw[pos] !== 0x34) count++;
      else {
        const sub = decodeEntry(raw, pos, end);
        subtrees.push(this.#countDir(`${path}/${sub.name}`, sub.id, read));
      }
      pos = end;
    }
    for (const n of await Promise.all(subtrees)) count += n;
    return count;
  }

  async #readTree(path: string, id: string): Promise<Buffer> {
    const [tree] = await this.#git.contents([id], (bytes) => this.#storage(path, bytes));
    if (tree?.type !== 'tree') throw missing(this.dir, `directory ${path} (tree ${id})`);
    return tree.content;
  }

  async #listDir(path: string, id: string, read: ReadTrees): Promise<DirListing> {
    const known = this.#dirs.get(path);
    if (known?.id === id) return known;
    this.#building.set(path, (this.#building.get(path) ?? 0) + 1);
    try {
      const raw = read.get(id) ?? (await this.#readTree(path, id));
      const listing = await buildListing(path, id, raw, known, {
        listDir: (p, i) => this.#listDir(p, i, read),
        sizes: this.#sizes,
      });
      this.#dirs.set(path, listing);
      return listing;
    } finally {
      const building = this.#building.get(path)! - 1;
      if (building > 0) this.#building.set(path, building);
      else this.#building.delete(path);
      // The listing replaced is no one's base any more: its tree's buffer can take the next tree of this path.
      const raw = known?.raw;
      if (!building && raw && this.#dirs.get(path) !== known && raw.buffer.byteLength >= RECYCLE_BYTES) {
        this.#spare.set(path, Buffer.from(raw.buffer, raw.byteOffset));
      }
    }
  }

  /** A buffer of `bytes` or more for a tree of `path`: the spare one when it is large enough. */
  #storage(path: string, bytes: number): Buffer | undefined {
    if (bytes < RECYCLE_BYTES) return undefined;
    const spare = this.#spare.get(path);
    this.#spare.delete(path);
    return spare && spare.length >= bytes ? spare : Buffer.allocUnsafe(Math.ceil(bytes * 1.25));
  }
}

function missing(dir: string, what: string): NotFoundError {
  return new NotFoundError(
    'ObjectNotFound',
    `${what} is missing from the repository at ${dir}; the repository is incomplete, fetch again.`,
  );
}
