/**
 * The local default StatusReporter: statuses live in git notes under
 * `refs/notes/ringmaster`, one note per commit, one line per status (format
 * and reading rule in note-format.ts). See them with
 * `git log --notes=ringmaster`; share them with
 * `git push origin refs/notes/ringmaster`.
 *
 * Several processes may write at once: each write builds its notes commit
 * from the notes commit it read, and then moves refs/notes/ringmaster only if
 * nobody else moved it meanwhile. (Refs named
 * `refs/notes/ringmaster-pending-<pid>-<hex>`, which earlier versions built
 * their commits on and a killed one could leave behind, are safe to delete.)
 *
 * No git child per status: reading (the notes ref, a note, the commit a name
 * resolves to) goes through one long-lived `git cat-file` per reporter; a
 * write makes the note's objects itself (notes-tree.ts) and moves the notes
 * ref through one long-lived `git update-ref --stdin`.
 */
import pRetry from 'p-retry';
import type { SimpleGit } from 'simple-git';
import { TransientError, isTransient } from '../errors.js';
import { GitCatFile } from '../source/git-cat-file.js';
import { GitRefUpdater } from '../source/git-ref-updater.js';
import { resolveCommit } from '../source/git-source.js';
import { appendLine, formatStatusLine, parseStatusNote } from './note-format.js';
import { type ObjectDatabase, notesCommit, putNote, treeOf, writeObject } from './notes-tree.js';
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

/** Identity of the notes commits when git has none configured. */
const FALLBACK_IDENTITY = 'Ringmaster <ringmaster@localhost>';

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
  private identity?: Promise<string>;
  /** The repository's common git directory, objects folder and object format, asked once. */
  #layout?: Promise<{ readonly dir: string; readonly objects: string; readonly format: string }>;
  /** Moves the notes ref without a git child per move, started on first use. */
  #updater?: GitRefUpdater;
  /** Reads refs and objects of the repository without a git child per read. */
  #objects?: Promise<GitCatFile>;

  constructor(
    private readonly git: SimpleGit,
    options: GitNotesReporterOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async report(commit: string, status: CommitStatus): Promise<boolean> {
    validateStatus(status);
    const sha = await this.resolve(commit);
    return this.serialised(async () => {
      // Most reports repeat the latest status: one read of the note as it is now settles them.
      const { note } = await this.readNote(sha);
      if (isUnchanged(parseStatusNote(note, sha), status)) return false;
      return this.writeStatus(sha, status);
    });
  }

  async list(commit: string): Promise<RecordedStatus[]> {
    const sha = await this.resolve(commit);
    return parseStatusNote((await this.readNote(sha)).note, sha);
  }

  /** Lets the long-lived reader and ref updater exit once they answered; a later report starts new ones. */
  async close(): Promise<void> {
    const objects = this.#objects;
    const updater = this.#updater;
    this.#objects = undefined;
    this.#updater = undefined;
    await Promise.all([objects?.then((o) => o.close()), updater?.close()]);
  }

  /** The full sha `commit` names, through the long-lived reader. */
  private async resolve(commit: string): Promise<string> {
    return resolveCommit(this.git, commit, { commitOf: async (rev) => this.commitOf(`${rev}^{commit}`) });
  }

  async latest(commit: string): Promise<Map<string, RecordedStatus>> {
    return latestByContext(await this.list(commit));
  }

  /** Appends `status` to the note of `sha` unless it is unchanged, retrying when another writer moves NOTES_REF first. */
  private async writeStatus(sha: string, status: CommitStatus): Promise<boolean> {
    return pRetry(() => this.writeOnce(sha, status), {
      ...CONFLICT_RETRY,
      shouldRetry: ({ error }) => isTransient(error) && error.reason === WRITE_CONFLICT,
    });
  }

  /**
   * One compare-and-swap: reads NOTES_REF and the note there, decides, makes
   * the notes commit with the new note on top of the one read, then moves
   * NOTES_REF to it only if it still holds the one read. Throws
   * TransientError StatusWriteConflict when not.
   */
  private async writeOnce(sha: string, status: CommitStatus): Promise<boolean> {
    const { base, note } = await this.readNote(sha);
    const recorded = parseStatusNote(note, sha);
    if (isUnchanged(recorded, status)) return false;
    assertWithinLimit(sha, recorded, status.context);
    const line = formatStatusLine({ ...status, createdAt: this.now().toISOString() });
    const next = await this.commitNote(sha, base, appendLine(note, line));
    await this.moveNotesRef(sha, next, base);
    return true;
  }

  /** Writes the notes commit that sets `sha`'s note to `text` on top of `base` ('' for none); returns its id. */
  private async commitNote(sha: string, base: string, text: string): Promise<string> {
    try {
      const db = await this.database();
      const blob = await writeObject(db, 'blob', Buffer.from(text, 'utf8'));
      const tree = await putNote(db, base ? await treeOf(db, base) : undefined, sha, blob);
      const commit = notesCommit(
        tree,
        base,
        await this.getIdentity(),
        `Notes added by ringmaster: status of ${sha}`,
      );
      return await writeObject(db, 'commit', commit);
    } catch (err) {
      throw writeFailed(sha, err);
    }
  }

  /**
   * Moves NOTES_REF from `base` ('' meaning it must not exist) to `next`.
   * Any failure counts as a conflict: writing the objects would already have
   * failed on bad permissions, so what is left is another writer moving the
   * ref or holding its lock.
   */
  private async moveNotesRef(sha: string, next: string, base: string): Promise<void> {
    const { dir } = await this.layout();
    this.#updater ??= new GitRefUpdater(dir, 'ringmaster: status');
    try {
      await this.#updater.move(NOTES_REF, next, base || '0'.repeat(next.length));
    } catch (err) {
      throw new TransientError(
        WRITE_CONFLICT,
        `Writing the ringmaster status note of commit ${sha} failed: ${NOTES_REF} was moved by another writer: ${messageOf(err)}`,
        { cause: err },
      );
    }
  }

  /**
   * The notes commit NOTES_REF points at ('' when there is none yet) and the
   * raw note of `sha` there ('' when it has none). Notes live in a tree whose
   * paths split the sha into folders of two characters as the notes grow
   * (`ab/cdef…`, `ab/cd/ef…`): every depth is asked for at once.
   */
  private async readNote(sha: string): Promise<{ base: string; note: string }> {
    try {
      const base = (await this.commitOf(`${NOTES_REF}^{commit}`)) ?? '';
      if (!base) return { base, note: '' };
      const names = [0, 1, 2, 3].map((depth) => `${base}:${fanoutPath(sha, depth)}`);
      const found = (await (await this.objects()).contents(names)).find((o) => o?.type === 'blob');
      return { base, note: found ? found.content.toString('utf8') : '' };
    } catch (err) {
      throw new TransientError(
        'StatusReadFailed',
        `Reading the ringmaster status note of commit ${sha} failed: ${messageOf(err)}`,
        { cause: err },
      );
    }
  }

  /** The commit `rev` names, or undefined when it names none. */
  private async commitOf(rev: string): Promise<string | undefined> {
    const [info] = await (await this.objects()).info([rev]);
    return info?.type === 'commit' ? info.id : undefined;
  }

  /** The long-lived reader of this repository, started on first use (an idle one does not keep Node alive). */
  private objects(): Promise<GitCatFile> {
    this.#objects ??= this.repository().then((dir) => new GitCatFile(dir));
    return this.#objects;
  }

  /** The absolute common git directory: where the notes ref lives, shared by every worktree. */
  private async repository(): Promise<string> {
    return (await this.layout()).dir;
  }

  private layout(): Promise<{ dir: string; objects: string; format: string }> {
    this.#layout ??= this.git
      .raw([
        'rev-parse',
        '--path-format=absolute',
        '--git-common-dir',
        '--git-path',
        'objects',
        '--show-object-format',
      ])
      .then((out) => {
        const [dir, objects, format] = out.split('\n').map((l) => l.trim());
        if (!dir || !objects || !format) throw new Error(`git rev-parse said ${JSON.stringify(out)}`);
        return { dir, objects, format };
      });
    // A failure is asked again next time.
    this.#layout.catch(() => (this.#layout = undefined));
    return this.#layout;
  }

  /** The repository's objects, read through the long-lived reader and written as loose objects. */
  private async database(): Promise<ObjectDatabase> {
    const { objects: dir, format } = await this.layout();
    const reader = await this.objects();
    return {
      dir,
      format,
      read: async (id, type) => {
        const [object] = await reader.contents([id]);
        return object?.type === type ? object.content : undefined;
      },
    };
  }

  /** Who makes the notes commits: git's committer identity, or the fallback when git has none. */
  private getIdentity(): Promise<string> {
    this.identity ??= this.git.raw(['var', 'GIT_COMMITTER_IDENT']).then(
      // "Name <email> 1733560000 +0100": the time is the commit's own.
      (ident) => ident.trim().replace(/\s+\d+\s+[-+]\d{4}$/, '') || FALLBACK_IDENTITY,
      () => FALLBACK_IDENTITY,
    );
    return this.identity;
  }

  /** Runs `task` after every earlier write to this repository in this process has settled. */
  private async serialised<T>(task: () => Promise<T>): Promise<T> {
    const key = await this.repository();
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

/** The path of `sha`'s note in a notes tree fanned out `depth` levels deep (`ab/cd/ef…` for 2). */
function fanoutPath(sha: string, depth: number): string {
  const folders = Array.from({ length: depth }, (_, i) => sha.slice(2 * i, 2 * i + 2));
  return [...folders, sha.slice(2 * depth)].join('/');
}
