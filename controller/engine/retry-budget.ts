/**
 * Retrying a step (or a compensation) within a budget of attempts that holds
 * across restarts of the controller. The caller records each attempt in the
 * journal before it starts; a restarted controller hands the count back as
 * `spent`, so a crash loop resumes the count instead of granting a fresh
 * budget each time, and a step whose budget is spent fails for good.
 */
import pRetry, { AbortError } from 'p-retry';
import { PermanentError, isTransient } from '../errors.js';
import type { CallContext } from '../providers/ports.js';

/** The back-off of retries and the budget: `retries + 1` attempts in all. */
export interface RetrySettings {
  readonly retries: number;
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

/** What earlier runs (before a restart) used of the budget: attempts started, and the last error seen. */
export interface Spent {
  readonly used: number;
  readonly error?: string;
}

/** The work to retry and how each attempt is recorded. */
export interface BudgetedWork<T> {
  /**
   * Awaited before each attempt with its number (counting earlier runs) and
   * the error of the attempt before; must put both in the journal. When it
   * throws, nothing more is tried and tryWithBudget throws its error.
   */
  readonly record: (attempt: number, lastError: string | undefined) => Promise<void>;
  readonly run: (ctx: CallContext) => Promise<T>;
}

/** How retried work ended, with the attempts started in all (earlier runs included). */
export type Tried<T> =
  | { readonly ok: true; readonly attempts: number; readonly value: T }
  | { readonly ok: false; readonly attempts: number; readonly error: unknown };

/**
 * Runs `work.run`, retrying transient errors (TransientError) with back-off
 * while attempts are left of the budget once `spent.used` were started. A
 * permanent error, the last attempt's error, or a budget spent before the
 * call (then nothing runs) is returned as `ok: false`. Throws only what
 * `work.record` threw. `onRetry` hears of each failed attempt that is retried.
 */
export async function tryWithBudget<T>(
  settings: RetrySettings,
  spent: Spent,
  work: BudgetedWork<T> & {
    readonly context: (attempt: number) => CallContext;
    readonly onRetry: (err: unknown, attempt: number, retriesLeft: number) => void;
    /** Ends a back-off at once when aborted: the last error is then returned. */
    readonly signal?: AbortSignal;
  },
): Promise<Tried<T>> {
  const budget = settings.retries + 1;
  if (spent.used >= budget) return { ok: false, attempts: spent.used, error: budgetSpent(spent) };
  let attempt = spent.used;
  let lastError = spent.error;
  let journalFailure: { readonly err: unknown } | undefined;
  try {
    const value = await pRetry(
      async () => {
        attempt++;
        try {
          await work.record(attempt, lastError);
        } catch (err) {
          // Not the work's failure: nothing may run unrecorded, so stop and let the caller see it.
          journalFailure = { err };
          throw new AbortError(messageOf(err));
        }
        return work.run(work.context(attempt));
      },
      {
        retries: budget - spent.used - 1,
        minTimeout: settings.minTimeoutMs,
        maxTimeout: settings.maxTimeoutMs,
        factor: 2,
        randomize: true,
        ...(work.signal ? { signal: work.signal } : {}),
        shouldRetry: ({ error }) => isTransient(error),
        onFailedAttempt: ({ error, retriesLeft }) => {
          lastError = messageOf(error);
          if (isTransient(error) && retriesLeft > 0) work.onRetry(error, attempt, retriesLeft);
        },
      },
    );
    return { ok: true, attempts: attempt, value };
  } catch (error) {
    if (journalFailure) throw journalFailure.err;
    return { ok: false, attempts: attempt, error };
  }
}

/** The failure of work resumed with its budget already spent (a crash loop, say): it is not tried again. */
function budgetSpent(spent: Spent): PermanentError {
  const last = spent.error
    ? `; the last error: ${spent.error}`
    : '; none of them ended with an error: the controller stopped during each';
  return new PermanentError(
    'RetryBudgetSpent',
    `no attempts left: all ${spent.used} were started, the last before the controller restarted${last}`,
  );
}

/** The message of an error, or the thing thrown as text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
