/**
 * The port through which the model reads repository content: a commit or a
 * directory. Paths are POSIX and relative to the repository root. The model
 * owns it; the adapters in source/ (a git commit, a folder) implement it.
 */
import { ConfigurationError } from '../errors.js';

/** One entry under the folders the model reads. */
export interface SourceEntry {
  readonly path: string;
  readonly type: 'file' | 'symlink' | 'other';
  /** Size in bytes (for a symlink: the length of its target). */
  readonly size: number;
  /**
   * An id that changes whenever the content changes (git's object id), when the
   * source has one: loading skips files whose id it has seen already.
   */
  readonly id?: string;
}

/** How `list` may be bounded. */
export interface ListOptions {
  /**
   * Most entries (files, symlinks, anything) to list below the folders. More
   * throw TooManyFilesError, counted before any file's size or content is
   * read, so a commit of 100,000 files costs a count, not a listing.
   */
  readonly maxFiles?: number;
}

/** Read access to the files of one revision of a repository. */
export interface FileSource {
  /** A human label, for example `commit 3f2a9c1` or `directory ./repo`. */
  readonly label: string;
  /**
   * Lists every entry below the given top-level folders, recursively. Missing
   * folders yield nothing. Throws TooManyFilesError past `options.maxFiles`.
   */
  list(folders: readonly string[], options?: ListOptions): Promise<SourceEntry[]>;
  /** Reads the bytes of the given files; a symlink's bytes are its target path. */
  read(paths: readonly string[]): Promise<Map<string, Buffer>>;
}

/** The top-level folders listed held more entries than `limit`: nothing was listed or read. */
export class TooManyFilesError extends ConfigurationError {
  /** Entries in all the folders. */
  readonly total: number;

  constructor(
    /** The entries below each top-level folder listed. */
    readonly counts: ReadonlyMap<string, number>,
    readonly limit: number,
  ) {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    super(
      'TooManyFiles',
      `${total} files under ${[...counts.keys()].map((f) => `${f}/`).join(' and ')}, more than the ${limit} read at most`,
    );
    this.total = total;
  }
}

/**
 * Throws TooManyFilesError when the entries counted per top-level folder add
 * up to more than `maxFiles` (no limit when undefined).
 */
export function checkFileCount(counts: ReadonlyMap<string, number>, maxFiles: number | undefined): void {
  if (maxFiles === undefined) return;
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total > maxFiles) throw new TooManyFilesError(counts, maxFiles);
}

/** The top-level folder of a path: `groups` for `groups/globex.yaml`. */
export function topFolderOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? path : path.slice(0, slash);
}
