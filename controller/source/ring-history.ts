/**
 * The desired state's history in git, as the policy rules need it: which
 * commit of a branch's first-parent history promoted a release into a ring
 * (the bake rule's `RingHistory`, policy/bake-evidence.ts), and which commits
 * of the sandbox branch changed a group's file (the rehearsal rule's
 * `MoveHistory`, policy/rehearsal.ts).
 */
import type { SimpleGit } from 'simple-git';
import { parse } from 'yaml';
import { RING_SET_PATH, placeOf } from '../model/layout.js';
import type { RingHistory } from '../policy/bake-evidence.js';
import type { MoveHistory } from '../policy/rehearsal.js';

/** `RingHistory` read from a git repository with `findPromotionCommit`. */
export class GitRingHistory implements RingHistory {
  constructor(private readonly git: SimpleGit) {}

  promotionCommit(base: string, ring: string, release: string): Promise<string | undefined> {
    return findPromotionCommit(this.git, base, ring, release);
  }
}

/**
 * The most recent commit on the first-parent history of `base` at which ring
 * `ring` started running `release` (by groups/rings.yaml read with the yaml
 * library at each commit that changed it), or undefined when it never did.
 * Reads git only; stops at the first answer.
 */
export async function findPromotionCommit(
  git: SimpleGit,
  base: string,
  ring: string,
  release: string,
): Promise<string | undefined> {
  const log = await git.raw(['log', '--first-parent', '--format=%H', base, '--', RING_SET_PATH]);
  let found: string | undefined;
  for (const commit of log.split('\n').filter(Boolean)) {
    const runs = (await ringReleaseAt(git, commit, ring)) === release;
    // Newest first: the last of the run of commits where the ring runs `release` is where it started.
    if (runs) found = commit;
    else if (found) break;
  }
  return found;
}

/** The release ring `ring` runs in groups/rings.yaml at `commit`; undefined when the file is missing, unreadable or lacks the ring. */
async function ringReleaseAt(git: SimpleGit, commit: string, ring: string): Promise<string | undefined> {
  let data: unknown;
  try {
    data = parse(await git.show([`${commit}:${RING_SET_PATH}`]));
  } catch {
    return undefined;
  }
  const rings = (data as { rings?: unknown } | null)?.rings;
  if (!Array.isArray(rings)) return undefined;
  for (const r of rings as unknown[]) {
    const item = r as { name?: unknown; release?: unknown } | null;
    if (item?.name === ring && item.release !== undefined && item.release !== null)
      return String(item.release);
  }
  return undefined;
}

/** `MoveHistory` read from a git repository: the branch as `origin/<branch>`, else as a local branch. */
export class GitMoveHistory implements MoveHistory {
  constructor(private readonly git: SimpleGit) {}

  async resolve(branch: string): Promise<string | undefined> {
    for (const ref of [`refs/remotes/origin/${branch}`, `refs/heads/${branch}`]) {
      const sha = (
        await this.git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '')
      ).trim();
      if (sha) return sha;
    }
    return undefined;
  }

  async commitsChanging(tip: string, group: string, limit: number): Promise<string[]> {
    const path = placeOf('Group', { name: group });
    const log = await this.git.raw(['log', '--first-parent', '--format=%H', `-n${limit}`, tip, '--', path]);
    return log.split('\n').filter(Boolean);
  }
}
