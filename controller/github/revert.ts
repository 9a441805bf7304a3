/**
 * Rollback written back to git: when a ring's rollout halts and its policy
 * says `revertOnRollback: true`, a pull request returns the ring to the
 * release it ran before, so the branch tells the truth again. One pull request
 * per halted rollout (ring and commit), never a second: a marker in the state
 * folder records it once opened, and opening is idempotent while the pull
 * request is open, so a crash between the two opens nothing twice.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SimpleGit } from 'simple-git';
import type { Halted } from '../engine/status-build.js';
import { setRingRelease } from '../model/edit-rings.js';
import { RING_SET_PATH } from '../model/layout.js';
import type { Constellation } from '../model/types.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { readJsonFile } from '../state/json-file.js';
import type { RolloutRecords } from '../state/records.js';
import type { GitHubClient, RepoRef } from './client.js';
import { openPullRequest } from './pull-request.js';

export interface RevertDeps {
  readonly client: GitHubClient;
  readonly repo: RepoRef;
  /** Git on a repository holding `commit`, whose remote `origin` is the repository on GitHub. */
  readonly git: SimpleGit;
  readonly openGit: (dir: string) => Promise<SimpleGit>;
  /** The tracked branch the pull request goes into. */
  readonly branch: string;
  /** Where the markers of opened reverts live (`<state>/reverts`). */
  readonly dir: string;
  readonly log: Logger;
}

/** A revert pull request that exists for a halted rollout. */
export interface RevertOpened {
  readonly ring: string;
  readonly to: string;
  readonly number: number;
  readonly url: string;
  /** False when it was opened by an earlier look (or found open). */
  readonly created: boolean;
}

/**
 * Opens the revert pull request of each halted ring whose policy asks for one.
 * `commit` is the commit whose rollout halted, `desired` its desired state.
 * Errors of one ring are logged and do not stop the others; the next look tries again.
 */
export async function openRevertPullRequests(
  deps: RevertDeps,
  desired: Constellation,
  commit: string,
  halted: readonly Halted[],
  records: RolloutRecords,
): Promise<RevertOpened[]> {
  const opened: RevertOpened[] = [];
  for (const h of halted) {
    if (!desired.policy.rings[h.ring]?.revertOnRollback) continue;
    try {
      const result = await revertRing(deps, desired, commit, h, records);
      if (result) opened.push(result);
    } catch (err) {
      deps.log.warn({ err, ring: h.ring, commit }, 'Revert pull request not opened; trying again next look');
    }
  }
  return opened;
}

async function revertRing(
  deps: RevertDeps,
  desired: Constellation,
  commit: string,
  halted: Halted,
  records: RolloutRecords,
): Promise<RevertOpened | undefined> {
  const ring = desired.rings.find((r) => r.name === halted.ring)!;
  const marker = join(deps.dir, `${ring.name}@${commit.slice(0, 12)}.json`);
  const known = (await readJsonFile(marker)) as RevertOpened | undefined;
  if (known) return { ...known, created: false };
  const previous = [...records.rings]
    .reverse()
    .find((r) => r.ring === ring.name && r.release !== ring.release);
  if (!previous) {
    deps.log.warn(
      { ring: ring.name, commit },
      'Halted ring has no earlier release to return to; no revert opened',
    );
    return undefined;
  }
  const text = await deps.git.show([`${commit}:${RING_SET_PATH}`]);
  const short = commit.slice(0, 12);
  const pull = await openPullRequest({
    git: deps.git,
    openGit: deps.openGit,
    remote: 'origin',
    client: deps.client,
    repo: deps.repo,
    base: deps.branch,
    baseCommit: commit,
    branch: `ringmaster/revert-${ring.name}-${short}`,
    title: `Revert ${ring.name} to ${previous.release}`,
    body: [
      `The rollout of ${ring.release} to ring **${ring.name}** (commit ${short}) halted: ${halted.reason}.`,
      '',
      `The groups that failed were rolled back to ${previous.release}; the groups not yet reached still run it.`,
      `This pull request returns \`${RING_SET_PATH}\` to ${previous.release} for ${ring.name}, so the branch says what runs.`,
      'Merge it, or fix forward with a newer release; either way the controller follows the branch.',
      '',
      '_Opened by Ringmaster because the policy sets `revertOnRollback: true` for this ring._',
    ].join('\n'),
    files: new Map([[RING_SET_PATH, setRingRelease(text, ring.name, previous.release)]]),
    message: `Revert ${ring.name} to ${previous.release}\n\nThe rollout of ${ring.release} (${short}) halted: ${halted.reason}.`,
    log: deps.log,
  });
  const result: RevertOpened = {
    ring: ring.name,
    to: previous.release,
    number: pull.number,
    url: pull.url,
    created: pull.created,
  };
  await writeFileAtomic(marker, `${JSON.stringify(result, null, 2)}\n`);
  deps.log.info({ ring: ring.name, commit, pull: pull.number }, 'Revert pull request opened');
  return result;
}
