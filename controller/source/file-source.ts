/**
 * The port through which the model reads repository content: a commit or a
 * directory. Paths are POSIX and relative to the repository root.
 */

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

/** Read access to the files of one revision of a repository. */
export interface FileSource {
  /** A human label, for example `commit 3f2a9c1` or `directory ./repo`. */
  readonly label: string;
  /** Lists every entry below the given top-level folders, recursively. Missing folders yield nothing. */
  list(folders: readonly string[]): Promise<SourceEntry[]>;
  /** Reads the bytes of the given files; a symlink's bytes are its target path. */
  read(paths: readonly string[]): Promise<Map<string, Buffer>>;
}
