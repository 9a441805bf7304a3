/**
 * What `approve` and `retry` share: each adds one file to the tracked branch
 * (an Approval, a Retry) once it judged its target at the branch head. In a
 * local repository with the branch checked out it commits the file there;
 * with --pull-request it opens a pull request on GitHub that adds the file on
 * top of the branch as the remote has it, whose merge is the approval (the
 * ring's reviewers review it like any other change of the ring).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { SimpleGit } from 'simple-git';
import { ConfigurationError } from '../errors.js';
import { createGitHubClient } from '../github/client.js';
import { openPullRequest } from '../github/pull-request.js';
import { loadConstellation } from '../model/load.js';
import { DEFAULT_PARSE_LIMITS } from '../model/parse.js';
import type { Constellation } from '../model/types.js';
import { GitCommitSource } from '../source/git-source.js';
import { EXIT, type CliContext } from './context.js';
import { cliLogger, gitHubRepo, readBase, requireToken } from './github-pr.js';

/** The flags the commands share (see `registerFileRequest`). */
export interface FileRequestOptions {
  repo: string;
  state: string;
  branch: string;
  reason?: string;
  pullRequest?: boolean;
  remote: string;
  github?: string;
}

/** A command that adds one file: how it names itself, its help, and its judgement of the target. */
export interface FileRequestCommand extends RequestCommand {
  /** The command's one-line help. */
  readonly description: string;
  /** Its one argument: name and help. */
  readonly argument: readonly [string, string];
  /** What the command reads in the state folder, for the help of --state. */
  readonly stateHelp: string;
  /** Judges `given` (the argument) at the branch head `at`. */
  judge(given: string, at: BranchLookup, opts: FileRequestOptions): Promise<Judgement>;
}

/** Registers `command` with the shared flags; its exit code comes from `requestFile`. */
export function registerFileRequest(
  program: Command,
  ctx: CliContext,
  setExit: (code: number) => void,
  command: FileRequestCommand,
): void {
  program
    .command(command.name)
    .description(command.description)
    .argument(...command.argument)
    .option('--repo <dir>', 'the local Ringmaster repository', ctx.env.repo)
    .option('--state <dir>', command.stateHelp, '.ringmaster')
    .option('--branch <name>', 'the tracked branch, which must be checked out', 'main')
    .option('--reason <text>', 'why, for the history')
    .option('--pull-request', 'open a pull request on GitHub instead of committing (needs GITHUB_TOKEN)')
    .option('--remote <name>', 'with --pull-request: the git remote of the repository on GitHub', 'origin')
    .option(
      '--github <owner/repo>',
      'with --pull-request: the repository on GitHub; default: read from the remote URL',
    )
    .action(async (given: string, opts: FileRequestOptions) => {
      const judge = (git: SimpleGit, head: string) =>
        command.judge(given, { git, head, branch: opts.branch, state: opts.state }, opts);
      setExit(await requestFile(ctx, opts, command, judge));
    });
}

/** The one file a command adds, and how to speak of it. */
export interface FileRequest {
  /** What the file names (a transition id), for messages. */
  readonly id: string;
  /** Its path in the repository. */
  readonly path: string;
  readonly text: string;
  /** The commit's subject and the pull request's title. */
  readonly title: string;
  /** The pull request's branch. */
  readonly pullBranch: string;
  /** The pull request's body, before the reason. */
  readonly body: readonly string[];
  /** What merging the pull request does, after "merging it" (`approves globex@…`). */
  readonly merging: string;
  /** What to print once the file is committed locally, in the commit `sha` (12 characters). */
  committed(sha: string): string;
}

/** A command's judgement of its target at the branch head. */
export type Judgement =
  | { readonly kind: 'request'; readonly request: FileRequest; readonly note?: string }
  /** Not possible (exit 1), and why. */
  | { readonly kind: 'refused'; readonly message: string }
  /** Nothing to add: what was asked is already on the branch (exit 0). */
  | { readonly kind: 'done'; readonly message: string };

/** How a command names itself and its files. */
export interface RequestCommand {
  /** `approve`, `retry`. */
  readonly name: string;
  /** What is committed, for the wrong-branch message: `approvals`. */
  readonly files: string;
}

/**
 * Judges the target at the branch head (`judge`) and adds its file: commits
 * it on the checked-out branch, or opens (or finds open) the pull request.
 * Returns the exit code. Throws ConfigurationError when the branch is not
 * checked out, or for --pull-request without a token, a remote or a repository.
 */
export async function requestFile(
  ctx: CliContext,
  opts: FileRequestOptions,
  command: RequestCommand,
  judge: (git: SimpleGit, head: string) => Promise<Judgement>,
): Promise<number> {
  const target = opts.pullRequest ? await onGitHub(ctx, opts, command) : await onBranch(ctx, opts, command);
  const judged = await judge(target.git, target.head);
  if (judged.kind === 'refused') {
    ctx.io.err(`ringmaster: ${judged.message}`);
    return EXIT.findings;
  }
  if (judged.kind === 'done') {
    ctx.io.out(judged.message);
    return EXIT.ok;
  }
  if (judged.note) ctx.io.err(`ringmaster: ${judged.note}`);
  ctx.io.out(await target.add(judged.request));
  return EXIT.ok;
}

/** Where a file goes: the repository, the head the target is judged at, and how the file is added there. */
interface RequestTarget {
  readonly git: SimpleGit;
  readonly head: string;
  /** Adds the file; returns what to print. */
  add(request: FileRequest): Promise<string>;
}

/** The checked-out branch of the local repository: the file is committed there. */
async function onBranch(
  ctx: CliContext,
  opts: FileRequestOptions,
  command: RequestCommand,
): Promise<RequestTarget> {
  const git = await ctx.openGit(opts.repo);
  await requireBranch(git, opts, command);
  return {
    git,
    head: (await git.revparse(['HEAD'])).trim(),
    async add(request) {
      await mkdir(dirname(join(opts.repo, request.path)), { recursive: true });
      await writeFile(join(opts.repo, request.path), request.text);
      await git.add([request.path]);
      await git.commit(request.title, [request.path]);
      return request.committed((await git.revparse(['HEAD'])).trim().slice(0, 12));
    },
  };
}

/** The branch as the remote has it: the file comes as a pull request on GitHub. */
async function onGitHub(
  ctx: CliContext,
  opts: FileRequestOptions,
  command: RequestCommand,
): Promise<RequestTarget> {
  const token = requireToken(ctx, `${command.name} --pull-request`);
  const git = await ctx.openGit(opts.repo);
  const repo = await gitHubRepo(git, opts);
  const base = await readBase(git, opts);
  const footer = `Opened by ringmaster ${command.name}; merging`;
  return {
    git,
    head: base.sha,
    async add(request) {
      const log = cliLogger(ctx);
      const pr = await openPullRequest({
        git,
        openGit: (dir) => ctx.openGit(dir),
        remote: opts.remote,
        client: createGitHubClient({ token, baseUrl: ctx.env.githubApiUrl, log }),
        repo,
        base: opts.branch,
        baseCommit: base.sha,
        branch: request.pullBranch,
        title: request.title,
        body: [
          ...request.body,
          ...(opts.reason ? ['', `Reason: ${opts.reason}`] : []),
          '',
          `_${footer} it is the approval._`,
        ].join('\n'),
        files: new Map([[request.path, request.text]]),
        message: `${request.title}\n\n${footer} the pull request is the approval.`,
        log,
      });
      return pr.created
        ? `opened pull request #${pr.number}: ${pr.url}; merging it ${request.merging}`
        : `pull request #${pr.number} is already open for ${request.id}: ${pr.url}`;
    },
  };
}

/** Throws ConfigurationError unless `opts.branch` is checked out: the file is committed there. */
async function requireBranch(
  git: SimpleGit,
  opts: FileRequestOptions,
  command: RequestCommand,
): Promise<void> {
  const current = (await git.revparse(['--abbrev-ref', 'HEAD'])).trim();
  if (current === opts.branch) return;
  throw new ConfigurationError(
    'WrongBranch',
    `${command.files} are committed on ${opts.branch}, and ${opts.repo} has ${current} checked out; check out ${opts.branch} first`,
  );
}

/** The text of a request file: its kind, the id it names, when, and the reason as its description. */
export function requestYaml(
  kind: string,
  fields: { readonly id: readonly [string, string]; readonly at: string },
  now: Date,
  reason: string | undefined,
): string {
  const lines = [
    'apiVersion: ringmaster/v1',
    `kind: ${kind}`,
    `${fields.id[0]}: ${fields.id[1]}`,
    `${fields.at}: "${now.toISOString()}"`,
    ...(reason ? [`description: ${JSON.stringify(reason)}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** Where a command judges its target: the repository, the branch head, and the controller's state folder. */
export interface BranchLookup {
  readonly git: SimpleGit;
  /** The head of the tracked branch (local, or as the remote has it). */
  readonly head: string;
  readonly branch: string;
  readonly state: string;
}

/**
 * The desired state at the branch head, or the refusal (exit 1) when it does
 * not validate; `doing` names what is refused (`approving`).
 */
export async function desiredAtHead(
  ctx: CliContext,
  at: BranchLookup,
  doing: string,
): Promise<{ readonly desired: Constellation } | { readonly refused: string }> {
  const loaded = await loadConstellation(new GitCommitSource(at.git, at.head), {
    validator: ctx.schemas(),
    limits: { ...DEFAULT_PARSE_LIMITS, maxFileBytes: ctx.env.maxFileBytes },
  });
  if (loaded.constellation) return { desired: loaded.constellation };
  return {
    refused: `${at.branch} (commit ${at.head.slice(0, 12)}) does not validate; fix it before ${doing} (ringmaster validate)`,
  };
}

/** True when `dir` is a folder; false when nothing is there. Throws for anything else that goes wrong. */
export async function isFolder(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    (err: { code?: unknown }) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}
