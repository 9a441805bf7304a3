import type { SimpleGit } from 'simple-git';
import { ConfigurationError, NotFoundError } from '../errors.js';
import type { FileSource, SourceEntry } from './file-source.js';

/** Paths per `git show` call: keeps the command line far below the system limit. */
const READ_BATCH = 500;

/**
 * Resolves `rev` (a branch, tag or sha) to a full commit sha.
 * Throws NotFoundError when the revision does not name a commit.
 */
export async function resolveCommit(git: SimpleGit, rev: string): Promise<string> {
  if (rev.startsWith('-'))
    throw new ConfigurationError('BadRevision', `Revision "${rev}" must not start with "-".`);
  const notFound = (cause?: unknown) =>
    new NotFoundError(
      'RevisionNotFound',
      `Revision "${rev}" is not a commit of this repository; check the name, or fetch it first.`,
      { cause },
    );
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
 * A FileSource over one commit, read through git itself (`ls-tree`, `show`),
 * never through the working tree. Construct it with a resolved commit sha.
 */
export class GitCommitSource implements FileSource {
  readonly label: string;
  /** Sizes of the entries listed so far: a commit never changes, so `read` need not list again. */
  readonly #sizes = new Map<string, number>();

  constructor(
    private readonly git: SimpleGit,
    readonly commit: string,
  ) {
    this.label = `commit ${commit.slice(0, 12)}`;
  }

  async list(folders: readonly string[]): Promise<SourceEntry[]> {
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
    const entries: SourceEntry[] = [];
    for (const record of out.split('\0')) {
      if (!record) continue;
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
}

function topFolders(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => p.split('/')[0] ?? p))];
}
