import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { NOTES_REF } from '../../controller/status/git-notes.js';
import type { CommitStatus } from '../../controller/status/reporter.js';
import { commitAll, initRepo, makeTempDir } from '../helpers/git.js';

const START = Date.parse('2026-11-22T10:00:00.000Z');

/** A clock that moves one minute forward on every reading, from 2026-11-22T10:00:00Z. */
export function steppingClock(): () => Date {
  let tick = 0;
  return () => new Date(START + 60_000 * tick++);
}

/** The ISO time `steppingClock` gives on its `n`th reading (from 0). */
export const minute = (n: number): string => new Date(START + 60_000 * n).toISOString();

/** A status of the canary ring's aggregate context. */
export const canary = (
  state: CommitStatus['state'],
  description: string,
  targetUrl?: string,
): CommitStatus => ({
  state,
  context: 'ringmaster/canary',
  description,
  ...(targetUrl === undefined ? {} : { targetUrl }),
});

/** A temporary repository with two commits. */
export interface StatusRepo {
  readonly dir: string;
  readonly git: SimpleGit;
  readonly first: string;
  readonly second: string;
}

/** Makes a StatusRepo with a configured committer; remove its `dir` after the test. */
export async function createStatusRepo(): Promise<StatusRepo> {
  const dir = await makeTempDir();
  const git = await initRepo(dir);
  const first = await commitAll(git, 'first');
  const second = await commitAll(git, 'second');
  return { dir, git, first, second };
}

/** Writes a note straight through git, as a person or another tool would. */
export async function writeRawNote(repo: StatusRepo, sha: string, text: string): Promise<void> {
  const file = join(repo.dir, '.git', 'seed-note.txt');
  await writeFile(file, text, 'utf8');
  await repo.git.raw(['notes', `--ref=${NOTES_REF}`, 'add', '--force', '--file', file, sha]);
}

/** The note text of `sha` exactly as git stores it. */
export function readRawNote(repo: StatusRepo, sha: string): Promise<string> {
  return repo.git.raw(['notes', `--ref=${NOTES_REF}`, 'show', sha]);
}

/** "Name <email>" of the latest commit on the notes ref. */
export async function notesAuthor(git: SimpleGit): Promise<string> {
  return (await git.raw(['log', '-1', '--format=%an <%ae>', NOTES_REF])).trim();
}
