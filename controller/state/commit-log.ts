/**
 * The commits the controller looked at, newest first: the ones it followed
 * (with what each changed), the ones passed over for a newer head, and the
 * heads it did not follow (invalid, refused, rewritten, unjudged) with why.
 * Kept in `commits.json` of the state folder, bounded to the newest
 * `keep` commits; the status page, `/api/commits` and `ringmaster history
 * --commit` read it.
 */
import { ConfigurationError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { readJsonFile } from './json-file.js';

/** What became of a commit. */
export type CommitOutcome = 'followed' | 'superseded' | 'invalid' | 'refused' | 'rewritten' | 'unjudged';

export interface CommitRecord {
  readonly commit: string;
  readonly outcome: CommitOutcome;
  /** When the controller saw it (its clock, ISO 8601). */
  readonly seenAt: string;
  /** When it was committed, where known. */
  readonly committedAt?: string;
  /** Why it was not followed, or what superseded it. */
  readonly reason?: string;
  /** What it changed against the commit followed before it, one line each. */
  readonly changes?: readonly string[];
  /** Rings whose release it changed. */
  readonly rings?: readonly string[];
}

/** How many commits the log keeps unless told otherwise. */
export const DEFAULT_COMMITS_KEPT = 500;

interface StoredLog {
  readonly version: 1;
  /** Oldest first. */
  readonly commits: readonly CommitRecord[];
}

/** See the module comment. */
export class CommitLog {
  #commits?: CommitRecord[];
  #writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly keep = DEFAULT_COMMITS_KEPT,
  ) {}

  /** The commits, newest first. Throws ConfigurationError when the file is damaged. */
  async list(): Promise<CommitRecord[]> {
    return [...(await this.#load())].reverse();
  }

  /**
   * Forgets the commits seen before `before`, but never the newest one
   * followed. Returns how many it forgot.
   */
  async prune(before: Date): Promise<number> {
    const commits = await this.#load();
    const cutoff = before.toISOString();
    const last = commits.findLast((c) => c.outcome === 'followed');
    const kept = commits.filter((c) => c === last || c.seenAt >= cutoff);
    const forgotten = commits.length - kept.length;
    if (forgotten > 0) await this.#save(kept);
    return forgotten;
  }

  /** The newest commit followed, if any. */
  async lastFollowed(): Promise<CommitRecord | undefined> {
    return (await this.#load()).findLast((c) => c.outcome === 'followed');
  }

  /**
   * Adds `record`. A commit is listed once: a record of it with the same
   * outcome stays as first recorded (a restart follows the same commit again,
   * without an earlier one to compare it with); another outcome replaces it
   * (a head refused, then followed once approved, is listed as it ended). On
   * disk before it resolves; records are written in the order they were added.
   */
  async add(record: CommitRecord): Promise<void> {
    const commits = await this.#load();
    const at = commits.findIndex((c) => c.commit === record.commit);
    if (at >= 0 && commits[at]!.outcome === record.outcome) return;
    if (at >= 0) commits.splice(at, 1);
    commits.push(record);
    if (commits.length > this.keep) commits.splice(0, commits.length - this.keep);
    await this.#save(commits);
  }

  async #save(commits: CommitRecord[]): Promise<void> {
    this.#commits = commits;
    const stored: StoredLog = { version: 1, commits };
    const text = `${JSON.stringify(stored, null, 1)}\n`;
    this.#writing = this.#writing.catch(() => {}).then(() => writeFileAtomic(this.path, text));
    await this.#writing;
  }

  async #load(): Promise<CommitRecord[]> {
    if (this.#commits) return this.#commits;
    const stored = (await readJsonFile(
      this.path,
      'move it away: the list of commits followed starts afresh, nothing else depends on it',
    )) as Partial<StoredLog> | undefined;
    if (stored !== undefined && (stored.version !== 1 || !Array.isArray(stored.commits)))
      throw new ConfigurationError(
        'StateUnreadable',
        `${this.path} is not Ringmaster's list of commits followed (version 1); move it away to start it afresh`,
      );
    this.#commits ??= [...(stored?.commits ?? [])];
    return this.#commits;
  }
}
