/**
 * Opening a pull request that changes a few files: one commit on top of the
 * base branch as the remote has it, pushed to a branch of its own, then the
 * pull request on GitHub. Idempotent: running it again finds the branch and
 * the open pull request and returns them.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { SimpleGit } from 'simple-git';
import { ConfigurationError, NotFoundError, TransientError } from '../errors.js';
import { redactUrls } from '../source/mirror-remote.js';
import type { GitHubClient, RepoRef } from './client.js';

/** What `openPullRequest` needs. */
export interface OpenPullRequestOptions {
  /** The local repository; its checkout, index, HEAD and branches are never touched. */
  readonly git: SimpleGit;
  /** Opens git on another folder (the composition root's factory): here, the temporary worktree. */
  readonly openGit: (dir: string) => Promise<SimpleGit>;
  /** The name of a remote of `git`, the repository on GitHub, for example `origin`. */
  readonly remote: string;
  readonly client: GitHubClient;
  readonly repo: RepoRef;
  /** The base branch, for example `main`. */
  readonly base: string;
  /** The commit to build on; default: the tip of `base` fetched from `remote` now. */
  readonly baseCommit?: string;
  /** The head branch to create, for example `ringmaster/promote-early-2026.11.2`. */
  readonly branch: string;
  readonly title: string;
  /** The pull request's Markdown body. */
  readonly body: string;
  /** New contents by repository path (POSIX, relative to the root). */
  readonly files: ReadonlyMap<string, string>;
  /** The commit message. */
  readonly message: string;
  readonly log: Logger;
}

/** The pull request that holds the change. */
export interface PullRequestResult {
  readonly number: number;
  /** Its page on GitHub. */
  readonly url: string;
  readonly branch: string;
  /** The head commit of the branch. */
  readonly commit: string;
  /** False when an open pull request for the branch was found and returned instead. */
  readonly created: boolean;
}

/**
 * Ensures branch `branch` on `remote` holds `files` as one commit on the base
 * and a pull request from it into `base` is open on `repo`. A branch that
 * already holds exactly these files is left alone, and an open pull request
 * from it is returned (`created: false`) instead of opening a second one.
 * GitHub is asked for open pull requests before anything is pushed, so a bad
 * token or repository leaves the remote as it was.
 *
 * Throws ConfigurationError when the branch name is not valid, the branch
 * exists with other content, the push is refused, no commit can be made (no
 * git identity) or GitHub refuses the token or the request; NotFoundError
 * when the remote has no `base`; TransientError when the remote or GitHub
 * cannot be reached.
 */
export async function openPullRequest(o: OpenPullRequestOptions): Promise<PullRequestResult> {
  const { git, remote, branch, log } = o;
  if ((await git.raw(['check-ref-format', '--branch', branch]).catch(() => '')).trim() !== branch)
    throw new ConfigurationError('BadBranchName', `"${branch}" is not a valid git branch name`);
  const outside = [...o.files.keys()].find((p) => p.startsWith('/') || /(^|\/)\.{0,2}(\/|$)/.test(p));
  if (outside !== undefined)
    throw new ConfigurationError('BadPath', `"${outside}" is not a plain path inside the repository`);
  const baseCommit = o.baseCommit ?? (await fetchBranch(git, remote, o.base));
  // Asking GitHub first proves the token and the repository before anything is pushed.
  const open = await findOpenPull(o);
  const existing = await remoteBranchHead(git, remote, branch);
  let commit: string;
  if (existing) {
    await assertHoldsFiles(git, remote, branch, existing, o.files);
    commit = existing;
    log.info({ branch, commit }, 'Branch already holds the change; left alone');
  } else {
    commit = await commitInTemporaryWorktree(o, baseCommit);
    await push(git, remote, commit, branch);
    log.info({ branch, commit }, 'Pushed branch');
  }
  if (open) {
    log.info({ branch, number: open.number }, 'Pull request already open; left alone');
    return { ...open, branch, commit, created: false };
  }
  const created = await createPull(o);
  log.info({ branch, number: created.number }, 'Opened pull request');
  return { ...created, branch, commit, created: true };
}

/**
 * Fetches `branch` from `remote` into `refs/remotes/<remote>/<branch>` and
 * returns its commit. Throws NotFoundError when the remote has no such
 * branch, TransientError when the remote cannot be reached.
 */
export async function fetchBranch(git: SimpleGit, remote: string, branch: string): Promise<string> {
  const tracking = `refs/remotes/${remote}/${branch}`;
  try {
    await git.raw(['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:${tracking}`]);
  } catch (err) {
    const text = gitMessage(err);
    if (/couldn't find remote ref/i.test(text))
      throw new NotFoundError('BranchNotFound', `remote ${remote} has no branch ${branch}; check --branch`);
    throw new TransientError('RemoteUnreachable', `fetching ${branch} from ${remote} failed: ${text}`, {
      cause: new Error(text),
    });
  }
  return (await git.revparse(['--verify', `${tracking}^{commit}`])).trim();
}

/** The commit `branch` points at on `remote`, or undefined when it has no such branch. */
async function remoteBranchHead(git: SimpleGit, remote: string, branch: string): Promise<string | undefined> {
  const ref = `refs/heads/${branch}`;
  let out: string;
  try {
    out = await git.raw(['ls-remote', '--heads', remote, ref]);
  } catch (err) {
    const text = gitMessage(err);
    throw new TransientError('RemoteUnreachable', `listing branches of ${remote} failed: ${text}`, {
      cause: new Error(text),
    });
  }
  for (const line of out.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/);
    if (name === ref && sha) return sha;
  }
  return undefined;
}

/** Throws ConfigurationError unless commit `head` of the remote branch has exactly `files` at their paths. */
async function assertHoldsFiles(
  git: SimpleGit,
  remote: string,
  branch: string,
  head: string,
  files: ReadonlyMap<string, string>,
): Promise<void> {
  const present = await git.raw(['cat-file', '-e', `${head}^{commit}`]).then(
    () => true,
    () => false,
  );
  if (!present)
    await git.raw(['fetch', '--quiet', '--no-tags', remote, `refs/heads/${branch}`]).catch((err: unknown) => {
      const text = gitMessage(err);
      throw new TransientError('RemoteUnreachable', `fetching ${branch} from ${remote} failed: ${text}`, {
        cause: new Error(text),
      });
    });
  for (const [path, text] of files) {
    const held = await git.showBuffer([`${head}:${path}`]).catch(() => undefined);
    if (held?.equals(Buffer.from(text, 'utf8'))) continue;
    throw new ConfigurationError(
      'BranchExists',
      `branch ${branch} already exists on ${remote} with another ${path}; if it is left over from an ` +
        `earlier attempt, close its pull request, delete it (git push ${remote} --delete ${branch}) and run again`,
    );
  }
}

/**
 * Makes one commit of `files` on top of `baseCommit` and returns its sha.
 *
 * Why a temporary worktree rather than plumbing with a temporary
 * GIT_INDEX_FILE: simple-git can only pass an environment variable by
 * changing the shared instance's environment for every later command, and
 * git's porcelain applies the repository's attributes and identity exactly
 * as a person's commit would. The worktree is detached, checks nothing out
 * (its index is filled from the base tree; only the changed files are
 * written), lives in a temporary folder and is removed afterwards, so the
 * user's checkout, index, HEAD and branches never change. Hooks are skipped
 * (--no-verify): the content was validated already, and a pre-commit hook
 * of the user's checkout has no business in a generated commit.
 */
async function commitInTemporaryWorktree(o: OpenPullRequestOptions, baseCommit: string): Promise<string> {
  const { git, files } = o;
  const dir = await mkdtemp(join(tmpdir(), 'ringmaster-pr-'));
  const tree = join(dir, 'tree');
  try {
    await git.raw(['worktree', 'add', '--quiet', '--detach', '--no-checkout', tree, baseCommit]);
    // simple-git refuses -C and --work-tree, so the worktree gets its own instance.
    const wt = await o.openGit(tree);
    await wt.raw(['read-tree', 'HEAD']);
    for (const [path, text] of files) {
      await mkdir(dirname(join(tree, path)), { recursive: true });
      await writeFile(join(tree, path), text);
    }
    await wt.raw(['add', '--', ...files.keys()]);
    await wt.raw(['commit', '--quiet', '--no-verify', '-m', o.message]);
    return (await wt.revparse(['HEAD'])).trim();
  } catch (err) {
    const text = gitMessage(err);
    if (/tell me who you are|empty ident|user\.(name|email)/i.test(text))
      throw new ConfigurationError(
        'NoGitIdentity',
        'git has no identity to make the commit with; set git config user.name and user.email and run again',
        { cause: new Error(text) },
      );
    throw new TransientError('CommitFailed', `making the commit failed: ${text}`, { cause: new Error(text) });
  } finally {
    await git.raw(['worktree', 'remove', '--force', tree]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await git.raw(['worktree', 'prune']).catch(() => undefined);
  }
}

/** Creates `branch` on `remote` at `commit`; a branch that appeared meanwhile makes git refuse. */
async function push(git: SimpleGit, remote: string, commit: string, branch: string): Promise<void> {
  try {
    // An empty lease: the push only creates the branch, it never moves one that someone else made.
    await git.raw([
      'push',
      '--quiet',
      `--force-with-lease=refs/heads/${branch}:`,
      remote,
      `${commit}:refs/heads/${branch}`,
    ]);
  } catch (err) {
    const text = gitMessage(err);
    throw new ConfigurationError(
      'PushRefused',
      `pushing branch ${branch} to ${remote} was refused: ${text}; check that your git credentials may push to ` +
        `${remote} and that no branch ${branch} exists there, then run again`,
      { cause: new Error(text) },
    );
  }
}

/** The open pull request whose head is `branch` of the repository itself, if any. */
async function findOpenPull(o: OpenPullRequestOptions): Promise<{ number: number; url: string } | undefined> {
  const { owner, repo } = o.repo;
  const pulls = await callGitHub(`listing pull requests of ${owner}/${repo}`, () =>
    o.client.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${o.branch}`, per_page: 100 }),
  );
  const found = pulls.data.find((p) => p.head.ref === o.branch);
  return found && { number: found.number, url: found.html_url };
}

/** Opens the pull request; a duplicate refused by GitHub (a concurrent run) is looked up instead. */
async function createPull(o: OpenPullRequestOptions): Promise<{ number: number; url: string }> {
  const { owner, repo } = o.repo;
  try {
    const res = await callGitHub(`opening a pull request on ${owner}/${repo}`, () =>
      o.client.rest.pulls.create({ owner, repo, title: o.title, body: o.body, head: o.branch, base: o.base }),
    );
    return { number: res.data.number, url: res.data.html_url };
  } catch (err) {
    const open = err instanceof ConfigurationError ? await findOpenPull(o) : undefined;
    if (open) return open;
    throw err;
  }
}

/** Runs one GitHub request, turning its failure into our typed errors (the token never appears in them). */
async function callGitHub<T>(doing: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    const detail = gitHubDetail(err);
    const answered = (err as { response?: unknown }).response !== undefined && typeof status === 'number';
    const what = `${doing} failed (${answered ? `${status}: ` : ''}${detail || 'no answer'})`;
    if (status === 401)
      throw new ConfigurationError(
        'BadCredentials',
        `${what}; GitHub does not accept GITHUB_TOKEN, renew it`,
      );
    if (status === 403 || status === 404)
      throw new ConfigurationError(
        'GitHubForbidden',
        `${what}; check --github and that GITHUB_TOKEN may read the repository and write pull requests`,
      );
    if (status === 422) throw new ConfigurationError('GitHubRefused', what);
    // A fresh cause: Octokit's error carries the request, which is no business of a log line.
    throw new TransientError('GitHubUnavailable', `${what}; try again later`, { cause: new Error(what) });
  }
}

/** GitHub's message and the messages of its `errors` array, as one line. */
function gitHubDetail(err: unknown): string {
  const response = (err as { response?: { data?: { message?: unknown; errors?: unknown } } }).response;
  // Without an answer (network, DNS), Octokit's message says what went wrong.
  if (!response) return err instanceof Error ? err.message : String(err);
  const data = response.data;
  const errors: unknown[] = Array.isArray(data?.errors) ? data.errors : [];
  const texts = [data?.message, ...errors.map((e) => (e as { message?: unknown } | null)?.message ?? e)];
  return texts
    .map((t) => (typeof t === 'string' ? t : t && typeof t === 'object' ? JSON.stringify(t) : ''))
    .filter(Boolean)
    .join('; ');
}

/** git's message on one line, with any credentials in URLs removed. */
function gitMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return redactUrls(text).replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}
