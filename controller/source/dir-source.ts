import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { type FileSource, type ListOptions, type SourceEntry, checkFileCount } from '../model/file-source.js';

/** Files read at once: enough to hide the latency of each read, few enough to stay far from the descriptor limit. */
const READ_CONCURRENCY = 32;

/**
 * A FileSource over a directory on disk (a working tree or a generated
 * constellation). Symlinks are reported as symlinks, never followed here.
 */
export class DirectorySource implements FileSource {
  readonly label: string;
  /** Symlinks seen by `list`, so `read` knows to read the link rather than its target without another stat. */
  private readonly links = new Set<string>();
  private readonly listed = new Set<string>();

  constructor(private readonly root: string) {
    this.label = `directory ${root}`;
  }

  /**
   * Lists the folders (symlinks as symlinks, each folder's files after its
   * subfolders). The folders are walked first without looking at any file,
   * so folders over `options.maxFiles` entries throw TooManyFilesError before
   * a single file is looked at; then the files' sizes are asked for,
   * concurrently.
   */
  async list(folders: readonly string[], options: ListOptions = {}): Promise<SourceEntry[]> {
    const found: SourceEntry[] = [];
    const counts = new Map<string, number>();
    for (const folder of folders) {
      const st = await lstat(join(this.root, folder)).catch(() => undefined);
      const before = found.length;
      // A linked folder is reported, never followed, as git would show it.
      if (st?.isSymbolicLink()) found.push({ path: folder, type: 'symlink', size: st.size });
      else if (st?.isDirectory()) await this.walk(folder, found);
      else if (st) found.push({ path: folder, type: 'other', size: st.size });
      counts.set(folder, found.length - before);
    }
    checkFileCount(counts, options.maxFiles);
    // Sizes matter for the size cap before reading.
    const limit = pLimit(READ_CONCURRENCY);
    const entries = await Promise.all(
      found.map((entry) =>
        entry.type !== 'file'
          ? entry
          : limit(async () => ({ ...entry, size: (await lstat(join(this.root, entry.path))).size })),
      ),
    );
    for (const entry of entries) this.add(entry);
    return entries;
  }

  /** Adds the entries below `rel` to `into`, sizes of files still 0: each folder's files after its subfolders. */
  private async walk(rel: string, into: SourceEntry[]): Promise<void> {
    const dirents = await readdir(join(this.root, rel), { withFileTypes: true });
    const files: string[] = [];
    for (const d of dirents.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = `${rel}/${d.name}`;
      if (d.isDirectory()) await this.walk(path, into);
      else if (d.isFile()) files.push(path);
      else into.push({ path, type: d.isSymbolicLink() ? 'symlink' : 'other', size: 0 });
    }
    for (const path of files) into.push({ path, type: 'file', size: 0 });
  }

  private add(entry: SourceEntry): void {
    this.listed.add(entry.path);
    if (entry.type === 'symlink') this.links.add(entry.path);
  }

  private async isLink(path: string): Promise<boolean> {
    if (this.listed.has(path)) return this.links.has(path);
    return (await lstat(join(this.root, path))).isSymbolicLink();
  }

  async read(paths: readonly string[]): Promise<Map<string, Buffer>> {
    const limit = pLimit(READ_CONCURRENCY);
    const contents = await Promise.all(
      paths.map((path) =>
        limit(async () => {
          const full = join(this.root, path);
          return (await this.isLink(path)) ? Buffer.from(await readlink(full)) : readFile(full);
        }),
      ),
    );
    return new Map(paths.map((p, i) => [p, contents[i]!]));
  }
}
