import { type Logger, pino } from 'pino';
import { ConfigurationError, TransientError } from '../../controller/errors.js';
import { createGitHubClient } from '../../controller/github/client.js';
import { CoalescingReporter, type TimerFactory } from '../../controller/status/coalescing.js';
import { GitHubStatusReporter } from '../../controller/status/github.js';
import {
  type CommitStatus,
  type RecordedStatus,
  type StatusReporter,
  isUnchanged,
  latestByContext,
} from '../../controller/status/reporter.js';
import { startGitHubServer } from '../fakes/github-server.js';
import { sha } from '../fakes/github-test-client.js';

const START = Date.parse('2026-11-22T10:00:00Z');
const HEAD = sha('head');
const OTHER = sha('other');

const canary = (state: CommitStatus['state'], description: string): CommitStatus => ({
  state,
  context: 'ringmaster/canary',
  description,
});

/** A clock and timers that move only when told; due timers run in order and are awaited. */
class ManualTime {
  now = START;
  private timers: { due: number; callback: () => Promise<void>; cleared: boolean }[] = [];

  readonly setTimer: TimerFactory = (callback, delayMs) => {
    const timer = { due: this.now + delayMs, callback, cleared: false };
    this.timers.push(timer);
    return { clear: () => void (timer.cleared = true) };
  };

  /** Timers neither run nor cleared. */
  get waiting(): number {
    return this.timers.filter((t) => !t.cleared).length;
  }

  /** Moves the clock by `ms`, running every timer that comes due on the way, earliest first. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cleared);
      const next = this.timers.filter((t) => t.due <= until).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      next.cleared = true;
      this.now = Math.max(this.now, next.due);
      await next.callback();
    }
    this.now = until;
  }
}

/** An in-memory StatusReporter with the port's skip rule; `failures` are thrown by the next reports. */
class MemoryReporter implements StatusReporter {
  readonly failures: Error[] = [];
  private readonly statuses = new Map<string, RecordedStatus[]>();

  constructor(private readonly now: () => number) {}

  async report(commit: string, status: CommitStatus): Promise<boolean> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const recorded = this.statuses.get(commit) ?? [];
    if (isUnchanged(recorded, status)) return false;
    this.statuses.set(commit, [...recorded, { ...status, createdAt: new Date(this.now()).toISOString() }]);
    return true;
  }

  async list(commit: string): Promise<RecordedStatus[]> {
    return [...(this.statuses.get(commit) ?? [])];
  }

  async latest(commit: string): Promise<Map<string, RecordedStatus>> {
    return latestByContext(await this.list(commit));
  }

  /** "state description" of each status written on `commit`, with seconds since START. */
  described(commit: string): string[] {
    return (this.statuses.get(commit) ?? []).map(
      (s) => `${(Date.parse(s.createdAt) - START) / 1000}s ${s.state} ${s.description}`,
    );
  }
}

/** A logger whose lines land in `lines`, parsed. */
function capturingLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('CoalescingReporter', () => {
  let time: ManualTime;
  let inner: MemoryReporter;
  let lines: Record<string, unknown>[];
  let reporter: CoalescingReporter;

  beforeEach(() => {
    time = new ManualTime();
    inner = new MemoryReporter(() => time.now);
    const captured = capturingLog();
    lines = captured.lines;
    reporter = new CoalescingReporter(inner, {
      log: captured.log,
      now: () => time.now,
      setTimer: time.setTimer,
    });
  });
  afterEach(() => reporter.close());

  it('writes the first status and every change of state at once', async () => {
    expect(await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'))).toBe(true);
    await time.advance(1000);
    expect(await reporter.report(HEAD, canary('failure', 'canary: globex failed'))).toBe(true);
    await time.advance(1000);
    expect(await reporter.report(HEAD, canary('pending', 'canary: retrying globex'))).toBe(true);

    expect(inner.described(HEAD)).toEqual([
      '0s pending canary: 0/3 groups',
      '1s failure canary: globex failed',
      '2s pending canary: retrying globex',
    ]);
    expect(time.waiting).toBe(0);
  });

  it('collapses description-only changes within 10 s into one write of the latest, when the interval has passed', async () => {
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await time.advance(2000);
    expect(await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'))).toBe(true);
    await time.advance(2000);
    expect(await reporter.report(HEAD, canary('pending', 'canary: 2/3 groups'))).toBe(true);

    await time.advance(5999);
    expect(inner.described(HEAD)).toEqual(['0s pending canary: 0/3 groups']);
    await time.advance(1);
    expect(inner.described(HEAD)).toEqual([
      '0s pending canary: 0/3 groups',
      '10s pending canary: 2/3 groups',
    ]);
    expect(time.waiting).toBe(0);
  });

  it('writes a new description at once when the interval has already passed', async () => {
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await time.advance(10_000);
    await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'));

    expect(inner.described(HEAD)).toEqual([
      '0s pending canary: 0/3 groups',
      '10s pending canary: 1/3 groups',
    ]);
  });

  it('writes nothing for a status equal to the last written, and drops the one waiting', async () => {
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await time.advance(2000);
    await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'));
    expect(await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'))).toBe(false);

    await time.advance(60_000);
    expect(inner.described(HEAD)).toEqual(['0s pending canary: 0/3 groups']);
  });

  it('drops the waiting description when the state changes, writing the new state at once', async () => {
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await time.advance(2000);
    await reporter.report(HEAD, canary('pending', 'canary: 2/3 groups'));
    await time.advance(1000);
    await reporter.report(HEAD, canary('success', 'canary: 3/3 groups'));

    await time.advance(60_000);
    expect(inner.described(HEAD)).toEqual(['0s pending canary: 0/3 groups', '3s success canary: 3/3 groups']);
  });

  it('keeps the interval of each commit and context apart', async () => {
    const group: CommitStatus = {
      ...canary('failure', 'globex failed'),
      context: 'ringmaster/canary/globex',
    };
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await reporter.report(HEAD, group);
    await reporter.report(OTHER, canary('pending', 'canary: 0/3 groups'));
    await time.advance(1000);
    await reporter.report(HEAD, { ...group, description: 'globex failed: rolled back' });
    await reporter.report(OTHER, canary('pending', 'canary: 1/3 groups'));

    expect(inner.described(HEAD)).toEqual(['0s pending canary: 0/3 groups', '0s failure globex failed']);
    await time.advance(9000);
    expect(inner.described(HEAD)).toEqual([
      '0s pending canary: 0/3 groups',
      '0s failure globex failed',
      '10s failure globex failed: rolled back',
    ]);
    expect(inner.described(OTHER)).toEqual([
      '0s pending canary: 0/3 groups',
      '10s pending canary: 1/3 groups',
    ]);
  });

  it('writes every waiting status on flush, and neither fires after close', async () => {
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await reporter.report(OTHER, canary('pending', 'canary: 0/3 groups'));
    await time.advance(1000);
    await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'));
    await reporter.report(OTHER, canary('pending', 'canary: 2/3 groups'));

    await reporter.flush();
    reporter.close();
    expect(inner.described(HEAD)).toEqual(['0s pending canary: 0/3 groups', '1s pending canary: 1/3 groups']);
    expect(inner.described(OTHER)).toEqual([
      '0s pending canary: 0/3 groups',
      '1s pending canary: 2/3 groups',
    ]);
    await time.advance(60_000);
    expect(inner.described(HEAD)).toHaveLength(2);
    expect(time.waiting).toBe(0);
  });

  it('logs a deferred write that fails, keeps the status waiting and writes it on flush', async () => {
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await time.advance(2000);
    await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'));
    const outage = new TransientError('GitHubUnavailable', 'Writing status failed: GitHub answered 502');
    inner.failures.push(outage);

    await time.advance(8000);
    expect(inner.described(HEAD)).toEqual(['0s pending canary: 0/3 groups']);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'Deferred commit status write failed; it is tried again on the next report or flush',
        commit: HEAD,
        context: 'ringmaster/canary',
        err: expect.objectContaining({ reason: 'GitHubUnavailable' }),
      }),
    ]);

    await time.advance(1000);
    await reporter.flush();
    expect(inner.described(HEAD)).toEqual([
      '0s pending canary: 0/3 groups',
      '11s pending canary: 1/3 groups',
    ]);
  });

  it('rejects flush with the first failure, keeping that status waiting for the next flush', async () => {
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await time.advance(1000);
    await reporter.report(HEAD, canary('pending', 'canary: 1/3 groups'));
    const outage = new TransientError('GitHubUnavailable', 'GitHub answered 503');
    inner.failures.push(outage);

    await expect(reporter.flush()).rejects.toBe(outage);
    await reporter.flush();
    expect(inner.described(HEAD)).toEqual(['0s pending canary: 0/3 groups', '1s pending canary: 1/3 groups']);
  });

  it('rejects a report whose immediate write fails, and writes it on the next report', async () => {
    inner.failures.push(new TransientError('GitHubUnavailable', 'GitHub answered 503'));

    await expect(reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'))).rejects.toThrow(
      TransientError,
    );
    expect(await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'))).toBe(true);
    expect(inner.described(HEAD)).toEqual(['0s pending canary: 0/3 groups']);
  });

  it('refuses an invalid status before anything is written or scheduled', async () => {
    await expect(reporter.report(HEAD, canary('pending', 'x'.repeat(141)))).rejects.toThrow(
      ConfigurationError,
    );
    expect(inner.described(HEAD)).toEqual([]);
    expect(time.waiting).toBe(0);
  });

  it('lists and gives the latest statuses of the wrapped reporter', async () => {
    await reporter.report(HEAD, canary('pending', 'canary: 0/3 groups'));

    expect(await reporter.list(HEAD)).toEqual(await inner.list(HEAD));
    expect(await reporter.latest(HEAD)).toEqual(await inner.latest(HEAD));
  });

  it('writes a waiting status with real timers when no timer factory is given', async () => {
    const real = new CoalescingReporter(inner, { log: capturingLog().log, intervalMs: 20 });
    await real.report(HEAD, canary('pending', 'canary: 0/3 groups'));
    await real.report(HEAD, canary('pending', 'canary: 1/3 groups'));
    expect(await inner.list(HEAD)).toHaveLength(1);

    // The real timer fires when the machine gets to it: wait for the write, not for a set time.
    while ((await inner.list(HEAD)).length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await inner.list(HEAD)).map((s) => s.description)).toEqual([
      'canary: 0/3 groups',
      'canary: 1/3 groups',
    ]);
    real.close();
  });
});

describe('CoalescingReporter over GitHubStatusReporter on the local GitHub server', () => {
  it('reports a ring rollout over 500 groups in 10 waves with at most 10 status POSTs', async () => {
    const server = await startGitHubServer({ repos: ['acme/app'] });
    try {
      server.state.addCommit('acme/app', HEAD);
      const log = pino({ enabled: false });
      const client = createGitHubClient({
        token: 'test-token',
        baseUrl: server.url,
        log,
        retryAfterBaseValue: 1,
      });
      const time = new ManualTime();
      const reporter = new CoalescingReporter(
        new GitHubStatusReporter(client, { owner: 'acme', repo: 'app' }, { log }),
        { log, now: () => time.now, setTimer: time.setTimer },
      );
      const broad = (state: CommitStatus['state'], done: number): CommitStatus => ({
        state,
        context: 'ringmaster/broad',
        description: `broad: ${done}/500 groups on 2026.11.2`,
      });

      await reporter.report(HEAD, broad('pending', 0));
      for (let wave = 1; wave <= 10; wave++) {
        await time.advance(2000);
        await reporter.report(HEAD, broad('pending', wave * 50));
      }
      await reporter.report(HEAD, broad('success', 500));
      await reporter.flush();
      reporter.close();

      const posts = server.log.filter((e) => e.method === 'POST');
      expect(posts.length).toBeLessThanOrEqual(10);
      const held = server.state
        .statusesOf('acme/app', HEAD)
        .filter((s) => s.context === 'ringmaster/broad')
        .map((s) => `${s.state} ${s.description}`);
      // The first, the latest of each 10 s, and the final state; waves 1-3, 5-8 and 10 collapsed.
      expect(held).toEqual([
        'pending broad: 0/500 groups on 2026.11.2',
        'pending broad: 200/500 groups on 2026.11.2',
        'pending broad: 450/500 groups on 2026.11.2',
        'success broad: 500/500 groups on 2026.11.2',
      ]);
      expect(posts).toHaveLength(held.length);
      expect(server.log.filter((e) => e.method === 'GET')).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
