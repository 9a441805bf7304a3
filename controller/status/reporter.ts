/**
 * The status reporter port: how the engine writes the result of a rollout back
 * onto the commit that caused it, and the pure rules every reporter shares
 * (the git notes one here, the GitHub one later). The rules are GitHub's
 * documented limits, so a status the local reporter accepts is one GitHub
 * accepts too.
 */
import { ConfigurationError, PermanentError } from '../errors.js';

/** The four commit states GitHub knows. */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/** Every CommitState, in GitHub's documentation order. */
export const COMMIT_STATES: readonly CommitState[] = ['error', 'failure', 'pending', 'success'];

/** Longest description GitHub accepts (it answers 422 beyond). Measured in UTF-16 code units, see `validateStatus`. */
export const MAX_DESCRIPTION_LENGTH = 140;

/** Longest context accepted. */
export const MAX_CONTEXT_LENGTH = 255;

/** GitHub keeps at most this many statuses per commit and context and refuses the next with 422. */
export const MAX_STATUSES_PER_CONTEXT = 1000;

/** Prefix of every context the controller writes. */
export const CONTEXT_PREFIX = 'ringmaster';

/** A status to write on a commit. */
export interface CommitStatus {
  readonly state: CommitState;
  /** Names the check; one line per context in GitHub's checks list. */
  readonly context: string;
  /** At most 140 characters; shorten longer texts with `fitDescription`. */
  readonly description: string;
  /** An http or https link shown as "Details". */
  readonly targetUrl?: string;
}

/** A status as recorded, with the time the reporter wrote it. */
export interface RecordedStatus extends CommitStatus {
  /** ISO 8601 UTC time of the write, from the reporter's clock. */
  readonly createdAt: string;
}

/** Writes and reads the commit statuses of one repository. */
export interface StatusReporter {
  /** Appends a status to `commit` unless the latest status of that context has the same state and description; returns whether it wrote. */
  report(commit: string, status: CommitStatus): Promise<boolean>;
  /** Every status of the commit, oldest first. */
  list(commit: string): Promise<RecordedStatus[]>;
  /** The latest status per context. */
  latest(commit: string): Promise<Map<string, RecordedStatus>>;
}

/** The aggregate context of one ring: `ringmaster/<ring>`. Throws ConfigurationError for an empty name or one with "/". */
export function ringContext(ring: string): string {
  return `${CONTEXT_PREFIX}/${contextPart('ring', ring)}`;
}

/** The context of one group that failed or is in emergency: `ringmaster/<ring>/<group>`. Throws like `ringContext`. */
export function groupContext(ring: string, group: string): string {
  return `${ringContext(ring)}/${contextPart('group', group)}`;
}

/**
 * The context of a tenant move, written on the commit that asked for it once
 * the move ends: `ringmaster/move/<tenant>/<from>/<to>`. Five parts, so it
 * never reads as a ring's (two) or a group's (three). Throws like `ringContext`.
 */
export function moveContext(tenant: string, from: string, to: string): string {
  return [
    CONTEXT_PREFIX,
    'move',
    contextPart('tenant', tenant),
    contextPart('group', from),
    contextPart('group', to),
  ].join('/');
}

function contextPart(kind: string, name: string): string {
  if (name === '' || name.includes('/'))
    throw new ConfigurationError(
      'InvalidStatusContext',
      `A ${kind} name in a status context must be non-empty and contain no "/", got "${name}".`,
    );
  return name;
}

/**
 * Checks `status` against GitHub's documented rules and throws a
 * ConfigurationError naming the broken rule (reason InvalidStatusState,
 * InvalidStatusContext, InvalidStatusDescription or InvalidStatusTargetUrl).
 * Lengths are counted in UTF-16 code units, never fewer than the characters
 * GitHub counts, so what passes here passes there.
 */
export function validateStatus(status: CommitStatus): void {
  const where = `Commit status for context "${status.context}"`;
  const fail = (reason: string, rule: string) => {
    throw new ConfigurationError(reason, `${where} is invalid: ${rule}.`);
  };
  if (!(COMMIT_STATES as readonly string[]).includes(status.state))
    fail('InvalidStatusState', `state "${status.state}" must be one of ${COMMIT_STATES.join(', ')}`);
  if (status.context.length === 0) fail('InvalidStatusContext', 'context must not be empty');
  if (status.context.length > MAX_CONTEXT_LENGTH)
    fail(
      'InvalidStatusContext',
      `context is ${status.context.length} characters, at most ${MAX_CONTEXT_LENGTH} are allowed`,
    );
  if (status.description.length > MAX_DESCRIPTION_LENGTH)
    fail(
      'InvalidStatusDescription',
      `description is ${status.description.length} characters, at most ${MAX_DESCRIPTION_LENGTH} are allowed; shorten it with fitDescription`,
    );
  if (status.targetUrl !== undefined && !isHttpUrl(status.targetUrl))
    fail('InvalidStatusTargetUrl', `targetUrl "${status.targetUrl}" must be an http or https URL`);
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'http:' || protocol === 'https:';
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Returns `text` unchanged when it fits in a description; otherwise its
 * longest prefix of whole characters (grapheme clusters, so no emoji or
 * accent is split) that, with trailing white space dropped and "…"
 * appended, is at most 140 UTF-16 code units.
 */
export function fitDescription(text: string): string {
  if (text.length <= MAX_DESCRIPTION_LENGTH) return text;
  const ellipsis = '…';
  let kept = '';
  for (const { segment } of graphemes.segment(text)) {
    if (kept.length + segment.length > MAX_DESCRIPTION_LENGTH - ellipsis.length) break;
    kept += segment;
  }
  return kept.trimEnd() + ellipsis;
}

/** The latest status of each context, keyed by context in order of first appearance. Input is oldest first. */
export function latestByContext(statuses: readonly RecordedStatus[]): Map<string, RecordedStatus> {
  const latest = new Map<string, RecordedStatus>();
  for (const status of statuses) latest.set(status.context, status);
  return latest;
}

/** True when the latest recorded status of `status.context` already has its state and description: writing would add nothing. */
export function isUnchanged(recorded: readonly RecordedStatus[], status: CommitStatus): boolean {
  const last = latestByContext(recorded).get(status.context);
  return last !== undefined && last.state === status.state && last.description === status.description;
}

/**
 * Throws a PermanentError (reason StatusLimitReached) when `recorded`, the
 * statuses of `commit` oldest first, already holds 1000 of `context`: GitHub
 * refuses the next one with 422, and so does every reporter.
 */
export function assertWithinLimit(
  commit: string,
  recorded: readonly RecordedStatus[],
  context: string,
): void {
  const count = recorded.filter((r) => r.context === context).length;
  if (count >= MAX_STATUSES_PER_CONTEXT)
    throw new PermanentError(
      'StatusLimitReached',
      `Commit ${commit} already has ${count} statuses for context "${context}", the most GitHub keeps per commit and context; no more can be added there, report on a newer commit.`,
    );
}
