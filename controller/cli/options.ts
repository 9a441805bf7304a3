import { type Command, InvalidArgumentError } from 'commander';
import { parsePositiveInt } from '../config.js';
import type { CliContext } from './context.js';

/** Adds --repo, --max-file-bytes and --max-files, defaulting to the environment's settings. */
export function addSourceOptions(cmd: Command, ctx: CliContext): Command {
  return cmd
    .option('--repo <dir>', 'the Ringmaster repository folder', ctx.env.repo)
    .option(
      '--max-file-bytes <n>',
      'largest file read, in bytes',
      positiveIntArg('--max-file-bytes'),
      ctx.env.maxFileBytes,
    )
    .option(
      '--max-files <n>',
      'most files read under groups/ and policies/; more and none is read',
      positiveIntArg('--max-files'),
      ctx.env.maxFiles,
    );
}

/** A commander parser of a whole number above 0 for flag `name`; anything else is a usage error naming it. */
export function positiveIntArg(name: string) {
  return (value: string): number => {
    try {
      return parsePositiveInt(value, name);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}
