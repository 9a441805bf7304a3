/**
 * Reading the controller's own files in the state folder. Only a missing file
 * (ENOENT) means "absent": a folder where the file should be (EISDIR), no
 * permission (EACCES), a symlink loop (ELOOP) or a failing disk (EIO) is an
 * error naming the file. Taking any of those for "absent" would start the
 * controller from nothing, which re-applies every group.
 */
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigurationError } from '../errors.js';

/** The system's code of a file system error (ENOENT, EISDIR, ...), when it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when `err` says the file does not exist. */
export function isAbsent(err: unknown): boolean {
  return errorCode(err) === 'ENOENT';
}

/** What to do about each kind of failure, for the message. */
const REMEDY: Readonly<Record<string, string>> = {
  EISDIR: 'it is a folder, not a file; move the folder away',
  ENOTDIR: 'a part of its path is a file, not a folder; move that file away',
  EACCES: "the controller's user may not read it; give it read and write permission",
  EPERM: "the controller's user may not read it; give it read and write permission",
  ELOOP: 'it is a symbolic link that loops; replace it with the file',
};

/**
 * A ConfigurationError (reason StateUnreadable) for the state file `path`
 * that exists but cannot be read or written: names the file, the system's
 * code and what to do; `cause` is the system's error.
 */
export function stateFileError(path: string, err: unknown, doing = 'read'): ConfigurationError {
  const code = errorCode(err) ?? 'unknown error';
  const remedy = REMEDY[code] ?? 'check the disk and the file, then start the controller again';
  return new ConfigurationError(
    'StateUnreadable',
    `state file ${path} cannot be ${doing} (${code}): ${remedy}`,
    {
      cause: err,
    },
  );
}

/** The text of `path`, or undefined when it does not exist. Throws stateFileError for any other failure. */
export async function readStateText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw stateFileError(path, err);
  }
}

/** What the system says of `path`, or undefined when it does not exist. Throws stateFileError for any other failure. */
export async function statIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw stateFileError(path, err);
  }
}

/** A ConfigurationError for a damaged snapshot file. */
export function damaged(path: string, what: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(
    'StateUnreadable',
    `${path} is not ${what}; restore it from a backup, or move it and ${basename(path)}.log away to start afresh`,
    { cause },
  );
}
