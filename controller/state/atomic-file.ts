import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorCode, isAbsent, stateFileError, statIfPresent } from './state-file.js';

/**
 * Writes `text` to `path` so that a crash at any moment leaves either the old
 * file or the new one, never a mix: a temporary file beside it, fsync, rename,
 * then fsync of the folder so the rename itself survives a power loss.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await writeFilesAtomic([[path, text]]);
}

/**
 * Writes the text `chunks` make, one after the other, as writeFileAtomic
 * does, never holding more than about WRITE_BATCH of it; resolves to the
 * number of bytes written.
 */
export async function writeChunksAtomic(path: string, chunks: Iterable<string>): Promise<number> {
  let bytes = 0;
  const write = async (file: FileHandle) => {
    let batch = '';
    for (const chunk of chunks) {
      batch += chunk;
      if (batch.length < WRITE_BATCH) continue;
      bytes += (await file.write(batch)).bytesWritten;
      batch = '';
    }
    if (batch) bytes += (await file.write(batch)).bytesWritten;
  };
  await replaceFiles([[path, write]]);
  return bytes;
}

/** How many characters writeChunksAtomic gathers before a write. */
const WRITE_BATCH = 256 * 1024;

/**
 * Writes several files as writeFileAtomic does, each on its own (a crash
 * leaves each old or new), with one fsync per folder for all the renames.
 */
export async function writeFilesAtomic(files: readonly (readonly [string, string])[]): Promise<void> {
  await replaceFiles(files.map(([path, text]) => [path, (file) => file.writeFile(text)]));
}

/** What writes a file's content to its open temporary file. */
type ContentWriter = (file: FileHandle) => Promise<void>;

/** Replaces each file with what its writer writes: temporary files, fsync, renames, one fsync per folder. */
async function replaceFiles(files: readonly (readonly [string, ContentWriter])[]): Promise<void> {
  const written = await Promise.allSettled(files.map(([path, write]) => writeTemporary(path, write)));
  const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
  const temporaries = written.flatMap((w) => (w.status === 'fulfilled' ? [w.value] : []));
  try {
    if (failed) throw failed.reason;
    await Promise.all(files.map(([path], i) => rename(temporaries[i]!, path)));
  } catch (err) {
    await Promise.all(temporaries.map((tmp) => rm(tmp, { force: true })));
    throw err;
  }
  await Promise.all([...new Set(files.map(([path]) => dirname(path)))].map(syncFolder));
}

/** Writes (with `write`) and syncs a temporary file beside `path` (making its folder when missing); returns its name. */
async function writeTemporary(path: string, write: ContentWriter): Promise<string> {
  const tmp = tempPathFor(path);
  const file = await open(tmp, 'w', 0o600).catch(async (err: unknown) => {
    if (errorCode(err) !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    return open(tmp, 'w', 0o600);
  });
  try {
    await write(file);
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await file.close();
  return tmp;
}

/**
 * A temporary name beside `path`: `.<basename>.<pid>.<8 hex>.tmp`. The pid lets
 * removeStaleTempFiles tell a leftover from a write in progress.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Syncs a folder, so that renames and new files in it survive a power loss. */
export async function syncFolder(dir: string): Promise<void> {
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/**
 * The name `writeFileAtomic` gives its temporary file: `.<basename>.<pid>.<8 hex>.tmp`.
 * The pid is that of the writing process, so a leftover can be told from a write in progress.
 */
const TEMP_NAME = /^\.(.+)\.([1-9][0-9]*)\.[0-9a-f]{8}\.tmp$/;

/** The folder `removeStaleTempFiles` never enters: a git repository, whose files are git's alone. */
const SKIPPED_FOLDER = 'mirror.git';

/**
 * Removes the temporary files that `writeFileAtomic` left behind when its
 * process was killed between writing and renaming (SIGKILL, power loss):
 * nothing else would ever delete them.
 *
 * Looks in `dir` and its immediate subfolders (the state folder and its
 * `journal/`), not deeper, never following a symbolic link and never entering
 * `mirror.git`. Removes only regular files whose name matches the temporary
 * name exactly and whose pid `isAlive` reports dead; this process's own pid
 * always counts as alive, since its writes may be in progress. The default
 * `isAlive` asks the system with signal 0: success or EPERM is alive, ESRCH is
 * dead (a reused pid keeps a leftover, which is the safe way to be wrong).
 *
 * Returns the removed paths, sorted; [] when `dir` does not exist. A file or
 * subfolder that disappears meanwhile is skipped; any other failure (a file
 * where a folder should be, no permission) throws a ConfigurationError
 * (StateUnreadable) naming the path.
 */
export async function removeStaleTempFiles(
  dir: string,
  isAlive: (pid: number) => boolean = isProcessAlive,
): Promise<string[]> {
  const top = await listEntries(dir);
  const folders = top
    .filter((e) => e.isDirectory() && e.name !== SKIPPED_FOLDER)
    .map((e) => join(dir, e.name));
  const nested = await Promise.all(
    folders.map(async (folder) => ({ folder, entries: await listEntries(folder) })),
  );
  const removed: string[] = [];
  for (const { folder, entries } of [{ folder: dir, entries: top }, ...nested]) {
    for (const entry of entries) {
      const pid = entry.isFile() ? tempFilePid(entry.name) : undefined;
      if (pid === undefined) continue;
      const path = join(folder, entry.name);
      if (pid === process.pid ? !(await olderThanThisProcess(path)) : isAlive(pid)) continue;
      if (await unlinkIfPresent(path)) removed.push(path);
    }
  }
  return removed.sort();
}

/** True when `path` was last written before this process started: a leftover of an earlier process with our pid. */
async function olderThanThisProcess(path: string): Promise<boolean> {
  const st = await statIfPresent(path);
  return st !== undefined && st.mtimeMs < Date.now() - process.uptime() * 1000;
}

/** True unless the system says no process has `pid`; EPERM means it exists but is not ours to signal. */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // Anything but ESRCH (for example an invalid pid) keeps the file: removing a live write would lose it.
    return errorCode(err) !== 'ESRCH';
  }
}

/** The writer's pid when `name` is exactly a `writeFileAtomic` temporary name. */
function tempFilePid(name: string): number | undefined {
  const match = TEMP_NAME.exec(name);
  return match ? Number(match[2]) : undefined;
}

/**
 * The entries of `dir` (types from the entry itself, so symbolic links stay
 * links); [] when it is gone. Anything else (a file where the folder should
 * be, no permission) is an error naming the folder.
 */
async function listEntries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isAbsent(err)) return [];
    throw stateFileError(dir, err, 'listed');
  }
}

/** Removes `path`; false when another process removed it first. */
async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isAbsent(err)) return false;
    throw stateFileError(path, err, 'removed');
  }
}
