import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSource, SourceEntry } from './file-source.js';

/**
 * A FileSource over a directory on disk (a working tree or a generated
 * constellation). Symlinks are reported as symlinks, never followed here.
 */
export class DirectorySource implements FileSource {
  readonly label: string;

  constructor(private readonly root: string) {
    this.label = `directory ${root}`;
  }

  async list(folders: readonly string[]): Promise<SourceEntry[]> {
    const entries: SourceEntry[] = [];
    for (const folder of folders) {
      const st = await lstat(join(this.root, folder)).catch(() => undefined);
      // A linked folder is reported, never followed, as git would show it.
      if (st?.isSymbolicLink()) entries.push({ path: folder, type: 'symlink', size: st.size });
      else if (st?.isDirectory()) await this.walk(folder, entries);
      else if (st) entries.push({ path: folder, type: 'other', size: st.size });
    }
    return entries;
  }

  private async walk(rel: string, into: SourceEntry[]): Promise<void> {
    let names: string[];
    try {
      names = await readdir(join(this.root, rel));
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return;
      throw err;
    }
    for (const name of names.sort()) {
      const path = `${rel}/${name}`;
      const st = await lstat(join(this.root, path));
      if (st.isDirectory()) await this.walk(path, into);
      else if (st.isSymbolicLink()) into.push({ path, type: 'symlink', size: st.size });
      else into.push({ path, type: st.isFile() ? 'file' : 'other', size: st.size });
    }
  }

  async read(paths: readonly string[]): Promise<Map<string, Buffer>> {
    const result = new Map<string, Buffer>();
    for (const path of paths) {
      const full = join(this.root, path);
      const st = await lstat(full);
      result.set(path, st.isSymbolicLink() ? Buffer.from(await readlink(full)) : await readFile(full));
    }
    return result;
  }
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
