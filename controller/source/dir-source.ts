import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { FileSource, SourceEntry } from './file-source.js';

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

  async list(folders: readonly string[]): Promise<SourceEntry[]> {
    const entries: SourceEntry[] = [];
    for (const folder of folders) {
      const st = await lstat(join(this.root, folder)).catch(() => undefined);
      // A linked folder is reported, never followed, as git would show it.
      if (st?.isSymbolicLink()) this.add(entries, { path: folder, type: 'symlink', size: st.size });
      else if (st?.isDirectory()) await this.walk(folder, entries);
      else if (st) this.add(entries, { path: folder, type: 'other', size: st.size });
    }
    return entries;
  }

  private async walk(rel: string, into: SourceEntry[]): Promise<void> {
    const dirents = await readdir(join(this.root, rel), { withFileTypes: true });
    const files: string[] = [];
    for (const d of dirents.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = `${rel}/${d.name}`;
      if (d.isDirectory()) await this.walk(path, into);
      else if (d.isFile()) files.push(path);
      else this.add(into, { path, type: d.isSymbolicLink() ? 'symlink' : 'other', size: 0 });
    }
    // Sizes matter for the size cap before reading; stat the files concurrently.
    const limit = pLimit(READ_CONCURRENCY);
    const sizes = await Promise.all(
      files.map((p) => limit(async () => (await lstat(join(this.root, p))).size)),
    );
    files.forEach((path, i) => this.add(into, { path, type: 'file', size: sizes[i]! }));
  }

  private add(into: SourceEntry[], entry: SourceEntry): void {
    into.push(entry);
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
