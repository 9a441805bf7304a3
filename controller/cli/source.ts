import { stat } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import type { FileSource } from '../model/file-source.js';
import { type LoadResult, loadConstellation } from '../model/load.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from '../model/parse.js';
import { DirectorySource } from '../source/dir-source.js';
import { GitObjectReader } from '../source/git-object-reader.js';
import { GitCommitSource, resolveCommit } from '../source/git-source.js';
import { isRemoteAddress, redactUrls } from '../source/mirror-remote.js';
import type { CliContext } from './context.js';

/** The source options shared by the commands that read a repository. */
export interface SourceOptions {
  repo: string;
  maxFileBytes: number;
  maxFiles: number;
}

/** The parse limits the command's options set. */
export function parseLimitsOf(opts: SourceOptions): ParseLimits {
  return { ...DEFAULT_PARSE_LIMITS, maxFileBytes: opts.maxFileBytes, maxFiles: opts.maxFiles };
}

/**
 * Opens the desired state of `repo`: at commit `rev` when given (read through
 * one `git cat-file` child, which `close` ends), else the folder as it is on
 * disk. Throws ConfigurationError or NotFoundError with a message for a
 * person.
 */
export async function openSource(
  ctx: CliContext,
  repo: string,
  rev?: string,
): Promise<{ source: FileSource; close(): Promise<void> }> {
  if (isRemoteAddress(repo))
    throw new ConfigurationError(
      'RepoIsRemote',
      `--repo ${redactUrls(repo)} is a remote address, and this command reads a local folder; ` +
        'clone the repository and pass the folder of the clone',
    );
  const st = await stat(repo).catch(() => undefined);
  if (!st?.isDirectory())
    throw new ConfigurationError(
      'RepoNotFound',
      `repository folder "${repo}" does not exist; pass --repo DIR`,
    );
  if (rev === undefined) return { source: new DirectorySource(repo), close: async () => {} };
  const git = await ctx.openGit(repo);
  const commit = await resolveCommit(git, rev);
  // Trees listed once and files read by object id: `git show <commit>:<path>` searches the folder's tree
  // for each path, which is quadratic in a folder of thousands of files.
  const objects = new GitObjectReader(repo);
  return { source: new GitCommitSource(git, commit, objects), close: () => objects.close() };
}

/** Loads the constellation of `repo` at `rev` (or its folder) with the command's limits. */
export async function loadFrom(
  ctx: CliContext,
  opts: SourceOptions,
  rev?: string,
): Promise<{ source: FileSource; result: LoadResult }> {
  const { source, close } = await openSource(ctx, opts.repo, rev);
  try {
    return {
      source,
      result: await loadConstellation(source, { validator: ctx.schemas(), limits: parseLimitsOf(opts) }),
    };
  } finally {
    await close();
  }
}
