/**
 * The local default StatusReporter: statuses live in git notes under
 * `refs/notes/ringmaster`, one note per commit, one line per status (format
 * and reading rule in note-format.ts). See them with
 * `git log --notes=ringmaster`; share them with
 * `git push origin refs/notes/ringmaster`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { TransientError } from '../errors.js';
import { resolveCommit } from '../source/git-source.js';
import { appendLine, formatStatusLine, parseStatusNote } from './note-format.js';
import {
  type CommitStatus,
  type RecordedStatus,
  type StatusReporter,
  assertWithinLimit,
  isUnchanged,
  latestByContext,
  validateStatus,
} from './reporter.js';

/** The notes ref holding every ringmaster status. */
export const NOTES_REF = 'refs/notes/ringmaster';

/** Identity for the notes commits when git has none configured (it would refuse to write otherwise). */
const FALLBACK_IDENTITY = ['-c', 'user.name=Ringmaster', '-c', 'user.email=ringmaster@localhost'];

/**
 * The tail of the write queue of each repository in this process, keyed by
 * its absolute common git directory. Process-wide rather than per reporter
 * because `git notes add` moves the notes ref without checking its old value:
 * two concurrent writes, even to different commits and through different
 * reporters, would lose one of them.
 */
const writeQueues = new Map<string, Promise<unknown>>();

/** Options of a GitNotesReporter. */
export interface GitNotesReporterOptions {
  /** The clock stamping `createdAt`; defaults to the system clock. */
  readonly now?: () => Date;
}

/**
 * A StatusReporter over the git notes of one repository.
 *
 * - `report` validates the status (ConfigurationError), resolves the commit
 *   (NotFoundError), then, serialised with every other write to the same
 *   repository in this process: reads the note, returns false when the
 *   context's latest status has the same state and description, refuses the
 *   1001st status of a context (PermanentError StatusLimitReached), appends one
 *   line and writes the note back. Earlier lines are never changed.
 * - A note line that looks like a status but does not parse throws
 *   PermanentError MalformedStatusNote; other foreign lines are skipped.
 * - git failures throw TransientError (StatusReadFailed, StatusWriteFailed).
 * - Works without a configured git identity: the notes commits are then made
 *   as "Ringmaster <ringmaster@localhost>".
 */
export class GitNotesReporter implements StatusReporter {
  private readonly now: () => Date;
  private identity?: Promise<string[]>;
  private repositoryKey?: Promise<string>;

  constructor(
    private readonly git: SimpleGit,
    options: GitNotesReporterOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async report(commit: string, status: CommitStatus): Promise<boolean> {
    validateStatus(status);
    const sha = await resolveCommit(this.git, commit);
    return this.serialised(async () => {
      const note = await this.readNote(sha);
      const recorded = parseStatusNote(note, sha);
      if (isUnchanged(recorded, status)) return false;
      assertWithinLimit(sha, recorded, status.context);
      const line = formatStatusLine({ ...status, createdAt: this.now().toISOString() });
      await this.writeNote(sha, appendLine(note, line));
      return true;
    });
  }

  async list(commit: string): Promise<RecordedStatus[]> {
    const sha = await resolveCommit(this.git, commit);
    return parseStatusNote(await this.readNote(sha), sha);
  }

  async latest(commit: string): Promise<Map<string, RecordedStatus>> {
    return latestByContext(await this.list(commit));
  }

  /** The raw note of `sha`, or '' when it has none. */
  private async readNote(sha: string): Promise<string> {
    try {
      // `log --format=%N` prints nothing for a commit without a note, where `notes show` would fail.
      return await this.git.raw(['log', '-1', '--no-notes', `--notes=${NOTES_REF}`, '--format=%N', sha]);
    } catch (err) {
      throw new TransientError(
        'StatusReadFailed',
        `Reading the ringmaster status note of commit ${sha} failed: ${messageOf(err)}`,
        { cause: err },
      );
    }
  }

  private async writeNote(sha: string, text: string): Promise<void> {
    // Through a file: a note of 1000 statuses is larger than one command-line argument may be.
    const dir = await mkdtemp(join(tmpdir(), 'ringmaster-note-'));
    try {
      const file = join(dir, 'note.txt');
      await writeFile(file, text, 'utf8');
      const identity = await this.getIdentity();
      await this.git.raw([...identity, 'notes', `--ref=${NOTES_REF}`, 'add', '--force', '--file', file, sha]);
    } catch (err) {
      throw new TransientError(
        'StatusWriteFailed',
        `Writing the ringmaster status note of commit ${sha} failed: ${messageOf(err)}`,
        { cause: err },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** No extra arguments when git knows who commits; the fallback identity when it would refuse. */
  private getIdentity(): Promise<string[]> {
    this.identity ??= Promise.all([
      this.git.raw(['var', 'GIT_AUTHOR_IDENT']),
      this.git.raw(['var', 'GIT_COMMITTER_IDENT']),
    ]).then(
      () => [],
      () => FALLBACK_IDENTITY,
    );
    return this.identity;
  }

  /** Runs `task` after every earlier write to this repository in this process has settled. */
  private async serialised<T>(task: () => Promise<T>): Promise<T> {
    this.repositoryKey ??= this.git.raw(['rev-parse', '--path-format=absolute', '--git-common-dir']);
    const key = (await this.repositoryKey).trim();
    const run = (writeQueues.get(key) ?? Promise.resolve()).then(task);
    writeQueues.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.trim() : String(err);
}
