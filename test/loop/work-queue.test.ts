import { WorkQueue } from '../../controller/loop/work-queue.js';
import { ManualClock } from '../fakes/manual-clock.js';

/** Work that waits until released by hand, recording what ran and how many ran at once. */
function gatedWork() {
  const started: string[] = [];
  const running = new Map<string, () => void>();
  let concurrent = 0;
  let most = 0;
  const startedWaiters: { n: number; resolve: () => void }[] = [];
  const work = async (key: string) => {
    started.push(key);
    most = Math.max(most, ++concurrent);
    for (const w of startedWaiters.filter((w) => started.length >= w.n)) w.resolve();
    await new Promise<void>((resolve) => running.set(key, resolve));
    running.delete(key);
    concurrent--;
  };
  return {
    work,
    started,
    most: () => most,
    release: async (key: string) => {
      running.get(key)!();
      await new Promise((r) => setImmediate(r));
    },
    /** Resolves once `n` runs have started in all. */
    startedCount: (n: number) =>
      new Promise<void>((resolve) => {
        if (started.length >= n) resolve();
        else startedWaiters.push({ n, resolve });
      }),
  };
}

describe('WorkQueue', () => {
  const clock = () => new ManualClock(new Date('2026-12-06T10:00:00Z'));

  it('never runs more workers than allowed, and fills a freed slot at once', async () => {
    const g = gatedWork();
    const q = new WorkQueue<string>({ workers: 2, clock: clock(), work: g.work });
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    await g.startedCount(2);
    expect(g.started).toEqual(['a', 'b']);
    await g.release('a');
    expect(g.started).toEqual(['a', 'b', 'c']);
    await g.release('b');
    await g.release('c');
    await g.release('d');
    await q.idle();
    expect(g.started).toEqual(['a', 'b', 'c', 'd']);
    expect(g.most()).toBe(2);
  });

  it('never runs one key twice at once: an add while it runs runs it once more afterwards', async () => {
    const g = gatedWork();
    const q = new WorkQueue<string>({ workers: 4, clock: clock(), work: g.work });
    q.add('a');
    await g.startedCount(1);
    q.add('a');
    q.add('a');
    expect(g.started).toEqual(['a']);
    await g.release('a');
    expect(g.started).toEqual(['a', 'a']);
    await g.release('a');
    await q.settled();
    expect(g.started).toEqual(['a', 'a']);
  });

  it('starts due keys by priority, then in the order they became due', async () => {
    const g = gatedWork();
    const rank: Record<string, number> = { stable: 2, canary: 0, early: 1, canary2: 0 };
    const q = new WorkQueue<string>({ workers: 1, clock: clock(), work: g.work, priority: (k) => rank[k]! });
    q.add('first');
    await g.startedCount(1);
    for (const k of ['stable', 'early', 'canary', 'canary2']) q.add(k);
    for (const k of ['first', 'canary', 'canary2', 'early']) await g.release(k);
    expect(g.started).toEqual(['first', 'canary', 'canary2', 'early', 'stable']);
    await g.release('stable');
  });

  it('brings a key back at its time without holding a worker, the nearest time winning', async () => {
    const c = clock();
    const ran: string[] = [];
    const q = new WorkQueue<string>({ workers: 1, clock: c, work: async (k) => void ran.push(k) });
    q.addAt('later', new Date('2026-12-06T10:10:00Z'));
    q.addAt('later', new Date('2026-12-06T10:05:00Z'));
    q.addAt('later', new Date('2026-12-06T10:20:00Z'));
    q.add('now');
    await q.idle();
    expect(ran).toEqual(['now']);
    expect(q.scheduledAt('later')).toEqual(new Date('2026-12-06T10:05:00Z'));
    await c.advance(4 * 60_000);
    expect(ran).toEqual(['now']);
    await c.advance(60_000);
    expect(ran).toEqual(['now', 'later']);
    expect(q.has('later')).toBe(false);
  });

  it('settles once work under way and wake-ups marked progress are done, not for other wake-ups', async () => {
    const c = clock();
    const ran: string[] = [];
    const q = new WorkQueue<string>({ workers: 1, clock: c, work: async (k) => void ran.push(k) });
    q.addAt('health-check', new Date('2026-12-06T10:01:00Z'), { progress: true });
    q.addAt('keep-window', new Date('2026-12-07T10:00:00Z'));
    let settled = false;
    void q.settled().then(() => (settled = true));
    await c.advance(30_000);
    expect(settled).toBe(false);
    await c.advance(30_000);
    expect(ran).toEqual(['health-check']);
    expect(settled).toBe(true);
    expect(q.has('keep-window')).toBe(true);
  });

  it('starts nothing once stopped and says when the workers running have ended', async () => {
    const g = gatedWork();
    const c = clock();
    const q = new WorkQueue<string>({ workers: 1, clock: c, work: g.work });
    q.add('a');
    q.add('b');
    q.addAt('c', new Date('2026-12-06T10:01:00Z'));
    await g.startedCount(1);
    q.stop();
    let idle = false;
    void q.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    await g.release('a');
    expect(idle).toBe(true);
    await c.advance(120_000);
    q.add('d');
    expect(g.started).toEqual(['a']);
    expect(c.pending).toBe(0);
  });

  it('reports a worker that throws and goes on with the rest', async () => {
    const errors: string[] = [];
    const ran: string[] = [];
    const q = new WorkQueue<string>({
      workers: 1,
      clock: clock(),
      work: async (k) => {
        if (k === 'bad') throw new Error('boom');
        ran.push(k);
      },
      onError: (k, err) => errors.push(`${k}: ${(err as Error).message}`),
    });
    q.add('bad');
    q.add('good');
    await q.settled();
    expect(errors).toEqual(['bad: boom']);
    expect(ran).toEqual(['good']);
  });
});
