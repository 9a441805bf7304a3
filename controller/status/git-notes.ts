/**
 * The local default StatusReporter: statuses live in git notes under
 * `refs/notes/ringmaster`, one note per commit, one line per status (format
 * and reading rule in note-format.ts). See them with
 * `git log --notes=ringmaster`; share them with
 * `git push origin refs/notes/ringmaster`.
 *
 * Several processes may write at once: each write builds its notes commit on
 * a short-lived ref of its own, `refs/notes/ringmaster-pending-<pid>-<hex>`,
 * and then moves refs/notes/ringmaster only if nobody else moved it meanwhile.
 * Such a ref left behind by a killed process is safe to delete.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pRetry from 'p-retry';
import type { SimpleGit } from 'simple-git';
import { TransientError, isTransient } from '../errors.js';
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

/**
 * Prefix of the scratch ref each write builds its notes commit on (`git notes`
 * writes only under refs/notes/). A sibling of NOTES_REF, not below it: git
 * cannot hold both `a` and `a/b` as refs.
 */
const SCRATCH_PREFIX = `${NOTES_REF}-pending-`;

/** Identity for the notes commits when git has none configured (it would refuse to write otherwise). */
const FALLBACK_IDENTITY = ['-c', 'user.name=Ringmaster', '-c', 'user.email=ringmaster@localhost'];

/**
 * Retries of one write when other processes keep moving the notes ref first.
 * Each lost race means another write landed, so nobody waits long; but a write
 * takes several git commands, and busy writers can beat the same one many
 * times in a row, so the budget is generous (a few seconds at most). The last
 * conflict is thrown as a TransientError.
 */
const CONFLICT_RETRY = { retries: 30, factor: 2, minTimeout: 5, maxTimeout: 250, randomize: true } as const;

/** The reason of the TransientError thrown when the notes ref moved during a write. */
const WRITE_CONFLICT = 'StatusWriteConflict';

/**
 * The tail of the write queue of each repository in this process, keyed by
 * its absolute common git directory. Writes are safe without it (each one is
 * a compare-and-swap of the notes ref), but writers of one process would only
 * make each other retry.
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
 * - Writes from other processes (another `ringmaster run`, `approve`) are not
 *   lost: the notes ref moves only from the value the note was read at, and a
 *   write that lost the race is read, decided and written again, up to 30
 *   retries (then TransientError StatusWriteConflict).
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
      // Most reports repeat the latest status: one read of the note as it is now settles them.
      if (isUnchanged(parseStatusNote(await this.readNote(sha), sha), status)) return false;
      return this.writeStatus(sha, status);
    });
  }

  async list(commit: string): Promise<RecordedStatus[]> {
    const sha = await resolveCommit(this.git, commit);
    return parseStatusNote(await this.readNote(sha), sha);
  }

  async latest(commit: string): Promise<Map<string, RecordedStatus>> {
    return latestByContext(await this.list(commit));
  }

  /**
   * Appends `status` to the note of `sha` unless it is unchanged, retrying
   * when another writer moves NOTES_REF first. Each attempt is built on a
   * scratch ref of its own, deleted at the end.
   */
  private async writeStatus(sha: string, status: CommitStatus): Promise<boolean> {
    const scratch = `${SCRATCH_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      return await pRetry(() => this.writeOnce(sha, status, scratch), {
        ...CONFLICT_RETRY,
        shouldRetry: ({ error }) => isTransient(error) && error.reason === WRITE_CONFLICT,
      });
    } finally {
      // Best effort: a scratch ref left behind (or by a killed process) is only an older copy of the notes.
      await this.git.raw(['update-ref', '--no-deref', '-d', scratch]).catch(() => undefined);
    }
  }

  /**
   * One compare-and-swap: copies NOTES_REF to `scratch`, decides on the note
   * as it is there, adds the new note on `scratch` (NOTES_REF does not move),
   * then moves NOTES_REF to the new notes commit only if it still holds the
   * copied one, its parent. Throws TransientError StatusWriteConflict when not.
   */
  private async writeOnce(sha: string, status: CommitStatus, scratch: string): Promise<boolean> {
    await this.copyNotesRef(sha, scratch);
    const note = await this.readNote(sha, scratch);
    const recorded = parseStatusNote(note, sha);
    if (isUnchanged(recorded, status)) return false;
    assertWithinLimit(sha, recorded, status.context);
    const line = formatStatusLine({ ...status, createdAt: this.now().toISOString() });
    await this.writeNote(sha, appendLine(note, line), scratch);
    // The new commit and its parent, the copied NOTES_REF (none when it did not exist).
    const [next = '', base = ''] = (await this.gitWrite(sha, ['rev-list', '--parents', '-n', '1', scratch]))
      .trim()
      .split(' ');
    await this.moveNotesRef(sha, next, base);
    return true;
  }

  /** Points `scratch` at NOTES_REF's commit; deletes `scratch` when NOTES_REF does not exist yet. */
  private async copyNotesRef(sha: string, scratch: string): Promise<void> {
    try {
      await this.git.raw(['update-ref', '--no-deref', scratch, `${NOTES_REF}^{commit}`]);
    } catch (err) {
      // Telling "NOTES_REF is missing" from other failures by looking, not by git's message.
      if ((await this.readNotesRef()) !== '')
        throw new TransientError(
          WRITE_CONFLICT,
          `Writing the ringmaster status note of commit ${sha} failed: copying ${NOTES_REF}, which another writer may have just created, failed: ${messageOf(err)}`,
          { cause: err },
        );
      await this.gitWrite(sha, ['update-ref', '--no-deref', '-d', scratch]);
    }
  }

  /** The commit NOTES_REF points at, or '' when it does not exist yet. */
  private async readNotesRef(): Promise<string> {
    try {
      const out = await this.git.raw(['for-each-ref', '--format=%(refname) %(objectname)', NOTES_REF]);
      // The pattern also matches refs below NOTES_REF; only the ref itself counts.
      const line = out.split('\n').find((l) => l.startsWith(`${NOTES_REF} `));
      return line ? line.slice(NOTES_REF.length + 1) : '';
    } catch (err) {
      throw new TransientError('StatusReadFailed', `Reading ${NOTES_REF} failed: ${messageOf(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * Moves NOTES_REF from `base` ('' meaning it must not exist) to `next`.
   * Any failure counts as a conflict: bad permissions would already have
   * failed the scratch ref, so what is left is another writer moving the ref
   * or holding its lock.
   */
  private async moveNotesRef(sha: string, next: string, base: string): Promise<void> {
    try {
      await this.git.raw(['update-ref', '-m', `ringmaster: status of ${sha}`, NOTES_REF, next, base]);
    } catch (err) {
      throw new TransientError(
        WRITE_CONFLICT,
        `Writing the ringmaster status note of commit ${sha} failed: ${NOTES_REF} was moved by another writer: ${messageOf(err)}`,
        { cause: err },
      );
    }
  }

  /** The raw note of `sha` in the notes of `ref`, or '' when it has none. */
  private async readNote(sha: string, ref = NOTES_REF): Promise<string> {
    try {
      // `log --format=%N` prints nothing for a commit without a note, where `notes show` would fail.
      return await this.git.raw(['log', '-1', '--no-notes', `--notes=${ref}`, '--format=%N', sha]);
    } catch (err) {
      throw new TransientError(
        'StatusReadFailed',
        `Reading the ringmaster status note of commit ${sha} failed: ${messageOf(err)}`,
        { cause: err },
      );
    }
  }

  /** Sets the note of `sha` to `text` in the notes of `ref`, which must be a scratch ref nobody else moves. */
  private async writeNote(sha: string, text: string, ref: string): Promise<void> {
    // Through a file: a note of 1000 statuses is larger than one command-line argument may be.
    const dir = await mkdtemp(join(tmpdir(), 'ringmaster-note-'));
    try {
      const file = join(dir, 'note.txt');
      await writeFile(file, text, 'utf8');
      const identity = await this.getIdentity();
      await this.git.raw([...identity, 'notes', `--ref=${ref}`, 'add', '--force', '--file', file, sha]);
    } catch (err) {
      throw writeFailed(sha, err);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Runs a git command of the write of `sha`'s note; a failure is a TransientError StatusWriteFailed. */
  private async gitWrite(sha: string, args: string[]): Promise<string> {
    try {
      return await this.git.raw(args);
    } catch (err) {
      throw writeFailed(sha, err);
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

function writeFailed(sha: string, err: unknown): TransientError {
  return new TransientError(
    'StatusWriteFailed',
    `Writing the ringmaster status note of commit ${sha} failed: ${messageOf(err)}`,
    { cause: err },
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.trim() : String(err);
}
