import { stat } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import { type LoadResult, loadConstellation } from '../model/load.js';
import { DEFAULT_PARSE_LIMITS } from '../model/parse.js';
import { DirectorySource } from '../source/dir-source.js';
import type { FileSource } from '../source/file-source.js';
import { GitCommitSource, resolveCommit } from '../source/git-source.js';
import { isRemoteAddress, redactUrls } from '../source/mirror-remote.js';
import type { CliContext } from './context.js';

/** The source options shared by the commands that read a repository. */
export interface SourceOptions {
  repo: string;
  maxFileBytes: number;
}

/**
 * Opens the desired state of `repo`: at commit `rev` when given (read through
 * git), else the folder as it is on disk. Throws ConfigurationError or
 * NotFoundError with a message for a person.
 */
export async function openSource(ctx: CliContext, repo: string, rev?: string): Promise<FileSource> {
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
  if (rev === undefined) return new DirectorySource(repo);
  const git = await ctx.openGit(repo);
  return new GitCommitSource(git, await resolveCommit(git, rev));
}

/** Loads the constellation of `repo` at `rev` (or its folder) with the command's limits. */
export async function loadFrom(
  ctx: CliContext,
  opts: SourceOptions,
  rev?: string,
): Promise<{ source: FileSource; result: LoadResult }> {
  const source = await openSource(ctx, opts.repo, rev);
  const limits = { ...DEFAULT_PARSE_LIMITS, maxFileBytes: opts.maxFileBytes };
  return { source, result: await loadConstellation(source, { validator: ctx.schemas(), limits }) };
}
