/**
 * The composition root: the only place that builds real clients (git, and in
 * later versions GitHub, Kubernetes and AWS) and reads the environment.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadEnvConfig } from './config.js';
import type { CliContext, CliIo } from './cli/context.js';
import { runnableCommands } from './cli/invocation.js';
import { runCli } from './cli/program.js';
import { pickStyle } from './cli/style.js';
import { ConfigurationError } from './errors.js';
import { packageRoot } from './paths.js';
import { type SchemaValidator, createSchemaValidator } from './schema/validator.js';
import { redactUrls } from './source/mirror-remote.js';

/**
 * Builds the real context: process environment, git through simple-git, the
 * package's schemas. Every line printed through it has the credentials of any
 * URL in it removed (`https://user:TOKEN@host` prints as `https://host`), so
 * no message, flag echo or git error can show a token.
 */
/**
 * The context every command runs in. `terminal`: standard output is a
 * terminal (states then get symbols and colours, unless NO_COLOR says no).
 */
export function createContext(
  io: CliIo,
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly terminal?: boolean } = {},
): CliContext {
  const runnable = runnableCommands(env);
  let validator: SchemaValidator | undefined;
  const gitFactory = async () => {
    // Loaded on demand: reading a folder needs no git, and start-up time counts for CI on every pull request.
    const { simpleGit } = await import('simple-git');
    return (dir: string, config: readonly string[] = []) => simpleGit({ baseDir: dir, config: [...config] });
  };
  return {
    io: { out: (s) => io.out(redactUrls(s)), err: (s) => io.err(redactUrls(s)) },
    runnable,
    env: loadEnvConfig(env),
    style: pickStyle(options.terminal === true, env),
    gitFactory,
    async openGit(dir, options = {}) {
      // simple-git refuses a missing folder with an error of its own; say it as every command does.
      if (!(await stat(dir).catch(() => undefined))?.isDirectory())
        throw new ConfigurationError(
          'RepoNotFound',
          `repository folder "${dir}" does not exist; pass --repo DIR`,
        );
      const git = (await gitFactory())(dir, options.config);
      if (!(await git.checkIsRepo().catch(() => false))) {
        throw new ConfigurationError(
          'NotAGitRepository',
          `"${dir}" is not a git repository; pass --repo with a clone, or drop --rev to read the folder`,
        );
      }
      return git;
    },
    schemas() {
      validator ??= createSchemaValidator(join(packageRoot(), 'schemas'));
      return validator;
    },
    now: () => new Date(),
  };
}

/** Runs the command line for this process and sets its exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  // A reader that went away (`ringmaster status | head`) ends what is printed, not the command, and is no
  // error: what would have been printed is dropped, as other Unix tools do.
  let stdoutGone = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    stdoutGone = true;
    if (err.code !== 'EPIPE') process.stderr.write(`ringmaster: standard output failed: ${err.message}\n`);
  });
  const io: CliIo = {
    out: (s) => {
      if (!stdoutGone) process.stdout.write(`${s}\n`);
    },
    err: (s) => process.stderr.write(`${s}\n`),
  };
  let code: number;
  try {
    code = await runCli(argv, createContext(io, process.env, { terminal: process.stdout.isTTY === true }));
  } catch (err) {
    io.err(redactUrls(`ringmaster: ${err instanceof Error ? err.message : String(err)}`));
    code = 2;
  }
  process.exitCode = code;
}
