/**
 * The fake's rate limits: the primary budget with GitHub's `x-ratelimit-*` headers,
 * secondary limits forced on demand, and an optional content-creation limit over a
 * sliding window. All time comes from the injected clock. Test code only.
 *
 * Rules from GitHub's "Rate limits for the REST API" page: exceeding the primary
 * limit answers 403 or 429 with `x-ratelimit-remaining: 0` until `x-ratelimit-reset`;
 * a secondary limit answers 403 or 429 with a message saying so and maybe
 * `retry-after`; content creation is limited to about 80 a minute and 500 an hour.
 */

/** Settings of the limiter; see `GitHubServerOptions` for the defaults. */
export interface LimitOptions {
  /** Requests per window (GitHub: 5000 an hour for a token). */
  limit: number;
  windowSeconds: number;
  /** Content-creating requests (every non-GET) allowed per 60 s; undefined means no limit. */
  maxWritesPerMinute?: number;
  /** Content-creating requests allowed per 3600 s; undefined means no limit. */
  maxWritesPerHour?: number;
  /** Clock in epoch milliseconds. */
  now: () => number;
}

/** A refusal by a secondary limit: the status to answer and the `retry-after` seconds. */
export interface SecondaryRefusal {
  status: 403 | 429;
  retryAfter: number;
  kind: 'forced' | 'content-creation';
}

/** Primary and secondary limit bookkeeping for one token. */
export class RateLimiter {
  private used = 0;
  private resetAt: number;
  private readonly forced: { count: number; retryAfter: number; status: 403 | 429 }[] = [];
  private readonly writes: number[] = [];

  constructor(private readonly options: LimitOptions) {
    this.resetAt = this.windowEnd();
  }

  /** The `x-ratelimit-*` headers as they stand now. */
  headers(): Record<string, string> {
    this.roll();
    return {
      'x-ratelimit-limit': String(this.options.limit),
      'x-ratelimit-remaining': String(this.remaining()),
      'x-ratelimit-used': String(this.used),
      'x-ratelimit-reset': String(this.resetAt),
      'x-ratelimit-resource': 'core',
    };
  }

  /** Requests left in the current window. */
  remaining(): number {
    this.roll();
    return Math.max(0, this.options.limit - this.used);
  }

  /** The end of the current window, in epoch seconds. */
  reset(): number {
    this.roll();
    return this.resetAt;
  }

  /** Counts one request against the primary budget. */
  consume(): void {
    this.roll();
    if (this.used < this.options.limit) this.used++;
  }

  /** Sets what is left of the budget (for tests that start near the edge). */
  setRemaining(remaining: number): void {
    this.roll();
    this.used = Math.max(0, this.options.limit - remaining);
  }

  /** Makes the next `count` requests answer a secondary limit. */
  force(count: number, retryAfter: number, status: 403 | 429): void {
    if (count > 0) this.forced.push({ count, retryAfter, status });
  }

  /** The secondary refusal for this request, if any; forced refusals come first. */
  secondary(isWrite: boolean): SecondaryRefusal | undefined {
    const head = this.forced[0];
    if (head) {
      head.count--;
      if (head.count === 0) this.forced.shift();
      return { status: head.status, retryAfter: head.retryAfter, kind: 'forced' };
    }
    if (!isWrite) return undefined;
    const wait = this.writeWait();
    return wait > 0 ? { status: 403, retryAfter: wait, kind: 'content-creation' } : undefined;
  }

  /** Records an accepted content-creating request. */
  recordWrite(): void {
    const now = this.options.now();
    while (this.writes[0] !== undefined && this.writes[0] <= now - 3_600_000) this.writes.shift();
    this.writes.push(now);
  }

  /** Seconds until the write windows allow one more write (0 when allowed now). */
  private writeWait(): number {
    const now = this.options.now();
    const windows: [number | undefined, number][] = [
      [this.options.maxWritesPerMinute, 60_000],
      [this.options.maxWritesPerHour, 3_600_000],
    ];
    let waitMs = 0;
    for (const [max, span] of windows) {
      if (max === undefined) continue;
      const recent = this.writes.filter((t) => t > now - span);
      // The oldest write that must leave the window before one more fits.
      const blocker = recent.length >= max ? recent[recent.length - max] : undefined;
      if (blocker !== undefined) waitMs = Math.max(waitMs, blocker + span - now);
    }
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }

  private roll(): void {
    if (this.options.now() >= this.resetAt * 1000) {
      this.used = 0;
      this.resetAt = this.windowEnd();
    }
  }

  private windowEnd(): number {
    return Math.ceil(this.options.now() / 1000) + this.options.windowSeconds;
  }
}
