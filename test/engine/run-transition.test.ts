import { Writable } from 'node:stream';
import { pino } from 'pino';
import { type EngineDeps, runTransition } from '../../controller/engine/run-transition.js';
import type { TransitionTarget } from '../../controller/engine/steps.js';
import type { RingPolicy } from '../../controller/model/types.js';
import type { PlannedTransition } from '../../controller/plan/transitions.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { type Script, createFakeProviders } from '../fakes/providers.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { groupSnapshot } from '../helpers/group-snapshot.js';
import { RING_POLICY } from '../helpers/ring-policy.js';

const RING = RING_POLICY;

const snapshot = (release: string) => groupSnapshot(release);

function target(from: string | undefined, to: string, ring: Partial<RingPolicy> = {}): TransitionTarget {
  const planned: PlannedTransition = {
    id: `globex@${'c'.repeat(12)}`,
    group: 'globex',
    ring: 'early',
    commit: 'c'.repeat(40),
    changes: [from ? 'release' : 'create'],
    from: from ? snapshot(from) : undefined,
    to: snapshot(to),
    details: [],
    testTenants: 0,
  };
  return {
    planned,
    cluster: 'eu-1',
    namespace: 'globex',
    database: { instance: 'globex-db', engine: 'postgres' },
    secrets: [{ name: 'prod/globex/db', keys: ['password'] }],
    services: { api: { image: `app/api:${to}`, replicas: 2, port: 8080, healthPath: '/healthz' } },
    schemaVersion: planned.to!.schemaVersion,
    tenants: planned.to!.tenants,
    ringPolicy: { ...RING, ...ring },
    gracePeriodMs: 0,
    observeMs: 0,
    analysis: [],
  };
}

describe('runTransition', () => {
  let dir: string;
  let logs: Record<string, unknown>[];
  let now: Date;
  let approved: Set<string>;

  beforeEach(async () => {
    dir = await makeTempDir();
    logs = [];
    now = new Date('2026-11-22T10:00:00Z');
    approved = new Set();
  });
  /** Journals opened by a test: closed (their ended files written) before the folder goes. */
  let journals: FileJournalStore[] = [];
  afterEach(async () => {
    await Promise.all(journals.map((j) => j.close()));
    journals = [];
    await removeDir(dir);
  });
  const openJournal = () => {
    const journal = new FileJournalStore(dir);
    journals.push(journal);
    return journal;
  };

  function deps(script: Script = {}) {
    const fake = createFakeProviders();
    fake.world.setScript(script);
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const engine: EngineDeps = {
      providers: fake.providers,
      journal: openJournal(),
      constellation: 'acme-prod',
      now: () => now,
      // Sleeping moves the test clock: time passes only when the engine waits.
      sleep: async (ms) => void (now = new Date(now.getTime() + ms)),
      healthIntervalMs: 1000,
      isApproved: async (id) => approved.has(id),
      retry: { retries: 3, minTimeoutMs: 0, maxTimeoutMs: 0 },
      log: pino({ level: 'info' }, sink),
    };
    return { engine, fake };
  }

  /** Runs the first version of the group (blue) to completion. */
  async function deployed(fakeDeps: ReturnType<typeof deps>) {
    const first = target(undefined, '2026.11.0');
    const outcome = await runTransition(
      { ...first, planned: { ...first.planned, id: `globex@${'a'.repeat(12)}` } },
      fakeDeps.engine,
    );
    expect(outcome.status).toBe('succeeded');
  }

  it('creates a group: every step recorded in order, traffic on the new stack', async () => {
    const { engine, fake } = deps();
    const outcome = await runTransition(target(undefined, '2026.11.0'), engine);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.entry.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'validate:done',
      'prepare:done',
      'verify:done',
      'cutover:done',
      'observe:done',
      'finalize:done',
    ]);
    expect(fake.world.calls).toEqual(['ensure blue 2026.11.0', 'switch blue']);
    expect(await openJournal().load(outcome.entry.id)).toEqual(outcome.entry);
  });

  it('writes the end of each step together with the start of the next: one journal write per step boundary', async () => {
    const { engine } = deps();
    const writes: string[] = [];
    const journal = engine.journal;
    const watched: EngineDeps = {
      ...engine,
      journal: {
        load: (id) => journal.load(id),
        listOpen: () => journal.listOpen(),
        history: (filter) => journal.history(filter),
        save: async (entry) => {
          writes.push(`${entry.status} ${entry.steps.map((s) => `${s.name}:${s.status}`).join(' ')}`);
          await journal.save(entry);
        },
      },
    };
    expect((await runTransition(target(undefined, '2026.11.0'), watched)).status).toBe('succeeded');
    expect(writes).toEqual([
      'running validate:started',
      'running validate:done prepare:started',
      'running validate:done prepare:done verify:started',
      'running validate:done prepare:done verify:done cutover:started',
      'running validate:done prepare:done verify:done cutover:done observe:started',
      'running validate:done prepare:done verify:done cutover:done observe:done finalize:started',
      'succeeded validate:done prepare:done verify:done cutover:done observe:done finalize:done',
    ]);
  });

  it('upgrades blue to green and retires blue', async () => {
    const d = deps();
    await deployed(d);
    const outcome = await runTransition(target('2026.11.0', '2026.11.2'), d.engine);
    expect(outcome.status).toBe('succeeded');
    expect(d.fake.world.calls.slice(2)).toEqual(['ensure green 2026.11.2', 'switch green', 'delete blue']);
    expect([...d.fake.world.stacks.get('eu-1/globex')!.keys()]).toEqual(['green']);
  });

  /** The removal of the group, as the planner gives it. */
  function removal(): TransitionTarget {
    const t = target('2026.11.0', '2026.11.0');
    return { ...t, services: {}, planned: { ...t.planned, changes: ['remove'], to: undefined } };
  }

  it('removes a group: traffic stops before its stacks are deleted', async () => {
    const d = deps();
    await deployed(d);
    const outcome = await runTransition(removal(), d.engine);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.entry.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'prepare:done',
      'cutover:done',
      'finalize:done',
    ]);
    expect(d.fake.world.calls.slice(2)).toEqual(['stop traffic', 'delete blue', 'delete green']);
    expect(d.fake.world.active.has('eu-1/globex')).toBe(false);
    expect(d.fake.world.stacks.get('eu-1/globex')?.size ?? 0).toBe(0);
  });

  it('sends the traffic back when stopping it fails, and keeps the stacks', async () => {
    const d = deps();
    await deployed(d);
    d.fake.world.setScript({ cutover: ['permanent', 'ok'] });
    const outcome = await runTransition(removal(), d.engine);
    expect(outcome.status).toBe('rolled-back');
    expect(d.fake.world.calls.slice(2)).toEqual(['switch blue']);
    expect(d.fake.world.active.get('eu-1/globex')).toBe('blue');
    expect([...d.fake.world.stacks.get('eu-1/globex')!.keys()]).toEqual(['blue']);
  });

  it('waits for an approval before removing a group where the ring has a manual gate', async () => {
    const d = deps();
    await deployed(d);
    const gated = { ...removal(), ringPolicy: { ...RING, gate: 'manual' as const } };
    const waiting = await runTransition(gated, d.engine);
    expect(waiting.status).toBe('waiting');
    expect(waiting.reason).toBe(
      `waiting for approval before cutover: ringmaster approve ${gated.planned.id}`,
    );
    expect(d.fake.world.active.get('eu-1/globex')).toBe('blue');
    approved.add(gated.planned.id);
    expect((await runTransition(gated, d.engine)).status).toBe('succeeded');
    expect(d.fake.world.calls.slice(2)).toEqual(['stop traffic', 'delete blue', 'delete green']);
  });

  it('logs one line per event, naming the group, its tenants, ring, commit and transition; a wait once', async () => {
    const d = deps();
    await deployed(d);
    logs = [];
    const gated = { ...removal(), ringPolicy: { ...RING, gate: 'manual' as const } };
    expect((await runTransition(gated, d.engine)).status).toBe('waiting');
    // Looked at again while still waiting: no new line.
    expect((await runTransition(gated, restarted(d.engine))).status).toBe('waiting');
    approved.add(gated.planned.id);
    expect((await runTransition(gated, restarted(d.engine))).status).toBe('succeeded');
    expect(logs.map((l) => [l.msg, l.step ?? ''])).toEqual([
      // A removal: the steps that apply to one.
      ['Transition started', ''],
      ['Step done', 'prepare'],
      ['Transition waiting', 'gate'],
      ['Step done', 'gate'],
      ['Step done', 'cutover'],
      ['Step done', 'finalize'],
      ['Transition succeeded', ''],
    ]);
    for (const line of logs)
      expect(line).toMatchObject({
        constellation: 'acme-prod',
        ring: 'early',
        group: 'globex',
        tenants: 0,
        commit: gated.planned.commit,
        transition: gated.planned.id,
      });
  });

  it('retries transient failures and records the attempts', async () => {
    const { engine } = deps({ prepare: ['transient', 'transient', 'ok'] });
    const outcome = await runTransition(target(undefined, '2026.11.0'), engine);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.entry.steps.find((s) => s.name === 'prepare')).toEqual(
      expect.objectContaining({ status: 'done', attempts: 3 }),
    );
    expect(logs.filter((l) => l.msg === 'Step attempt failed; retrying')).toHaveLength(2);
  });

  /** The engine of a controller started again on the same state folder: a new journal store, the same world. */
  const restarted = (engine: EngineDeps): EngineDeps => ({ ...engine, journal: openJournal() });

  /** Runs `t` until the world hangs in a call, as a controller killed there; its run never ends. */
  async function runUntilKilled(d: ReturnType<typeof deps>, t: TransitionTarget, engine: EngineDeps) {
    const hung = d.fake.world.nextHang();
    void runTransition(t, engine);
    return hung;
  }

  it('keeps counting attempts across restarts: a transient fault outlasting the budget rolls back, attempts summed', async () => {
    // Budget: 3 retries, 4 attempts. Each run of the controller dies during its second attempt.
    const d = deps({ validate: ['transient', 'hang', 'transient', 'hang', 'transient'] });
    const t = target(undefined, '2026.11.0');
    expect(await runUntilKilled(d, t, d.engine)).toBe('validate');
    // The attempt the process died in was on disk before it started, with the error of the one before.
    const journal = (await openJournal().load(t.planned.id))!;
    expect(journal.steps).toEqual([
      expect.objectContaining({
        name: 'validate',
        status: 'started',
        attempts: 2,
        error: 'fake transient failure in validate',
      }),
    ]);
    expect(await runUntilKilled(d, t, restarted(d.engine))).toBe('validate');
    const outcome = await runTransition(t, restarted(d.engine));
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.reason).toBe(
      'validate failed: no attempts left: all 4 were started, the last before the controller restarted; ' +
        'the last error: fake transient failure in validate',
    );
    expect(outcome.entry.steps).toEqual([
      expect.objectContaining({ name: 'validate', status: 'failed', attempts: 4 }),
    ]);
    // Two attempts in each of the first two runs, none in the third: the budget, not three budgets.
    expect(d.fake.world.counts.get('validate')).toBe(4);
    expect(await openJournal().load(t.planned.id)).toEqual(outcome.entry);
  });

  it('goes on with the attempts left after a restart and succeeds within the budget', async () => {
    const d = deps({ prepare: ['transient', 'hang', 'ok'] });
    const t = target(undefined, '2026.11.0');
    await runUntilKilled(d, t, d.engine);
    const outcome = await runTransition(t, restarted(d.engine));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.entry.steps.find((s) => s.name === 'prepare')).toEqual(
      expect.objectContaining({ status: 'done', attempts: 3 }),
    );
  });

  it('keeps counting the attempts to undo a step across restarts: spent, the group is in emergency', async () => {
    const d = deps();
    await deployed(d);
    d.fake.world.setScript({
      cutover: ['permanent'],
      'compensate-cutover': ['transient', 'hang', 'transient', 'hang', 'transient'],
    });
    const t = target('2026.11.0', '2026.11.2');
    expect(await runUntilKilled(d, t, d.engine)).toBe('compensate-cutover');
    expect(await runUntilKilled(d, t, restarted(d.engine))).toBe('compensate-cutover');
    const outcome = await runTransition(t, restarted(d.engine));
    expect(outcome.status).toBe('emergency');
    expect(outcome.reason).toBe(
      'cutover failed: fake permanent failure in cutover; undoing cutover failed too: no attempts left: ' +
        'all 4 were started, the last before the controller restarted; the last error: fake transient failure in compensate-cutover',
    );
    expect(outcome.entry.steps.find((s) => s.name === 'cutover')).toEqual(
      expect.objectContaining({ status: 'compensating', attempts: 1, undoAttempts: 4 }),
    );
    expect(d.fake.world.counts.get('compensate-cutover')).toBe(4);
  });

  it('gives a step that waits a fresh budget at each look: waiting is an answer, not a failure', async () => {
    const d = deps();
    const t = target(undefined, '2026.11.0', { gate: 'manual' });
    for (let look = 0; look < 6; look++) expect((await runTransition(t, d.engine)).status).toBe('waiting');
    expect((await openJournal().load(t.planned.id))!.steps.find((s) => s.name === 'gate')).toEqual(
      expect.objectContaining({ status: 'started', attempts: 0 }),
    );
    approved.add(t.planned.id);
    expect((await runTransition(t, d.engine)).status).toBe('succeeded');
  });

  it('rolls back on a permanent failure in verify: the new stack goes, traffic stays on blue', async () => {
    const d = deps();
    await deployed(d);
    d.fake.world.unhealthy.add('verify');
    const outcome = await runTransition(target('2026.11.0', '2026.11.2'), d.engine);
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.reason).toBe(
      'verify failed: green stack of group globex is unhealthy at check 1 of 1: fake: unhealthy during verify',
    );
    expect(outcome.entry.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'validate:done',
      'prepare:compensated',
      'verify:failed',
    ]);
    expect(d.fake.world.active.get('eu-1/globex')).toBe('blue');
    expect([...d.fake.world.stacks.get('eu-1/globex')!.keys()]).toEqual(['blue']);
  });

  it('gives up on transient failures after the retries and rolls back', async () => {
    const d = deps({ validate: ['transient'] });
    const outcome = await runTransition(target(undefined, '2026.11.0'), d.engine);
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.entry.steps).toEqual([
      expect.objectContaining({ name: 'validate', status: 'failed', attempts: 4 }),
    ]);
  });

  it('cuts back to blue when health fails after the switch', async () => {
    const d = deps();
    await deployed(d);
    d.fake.world.unhealthy.add('observe');
    const outcome = await runTransition(target('2026.11.0', '2026.11.2'), d.engine);
    expect(outcome.status).toBe('rolled-back');
    expect(d.fake.world.calls.slice(2)).toEqual([
      'ensure green 2026.11.2',
      'switch green',
      'switch blue',
      'delete green',
    ]);
  });

  it('rolls back cleanly when a failed cutover can be undone', async () => {
    const d = deps();
    await deployed(d);
    d.fake.world.setScript({ cutover: ['permanent'] });
    const outcome = await runTransition(target('2026.11.0', '2026.11.2'), d.engine);
    expect(outcome.status).toBe('rolled-back');
    expect(d.fake.world.active.get('eu-1/globex')).toBe('blue');
  });

  it('leaves the group in emergency when the cutover cannot be undone', async () => {
    const d = deps();
    await deployed(d);
    d.fake.world.setScript({ cutover: ['permanent'], 'compensate-cutover': ['permanent'] });
    const outcome = await runTransition(target('2026.11.0', '2026.11.2'), d.engine);
    expect(outcome.status).toBe('emergency');
    expect(outcome.reason).toBe(
      'cutover failed: fake permanent failure in cutover; undoing cutover failed too: fake permanent failure in compensate-cutover',
    );
    expect(logs.find((l) => l.level === 50)).toEqual(
      expect.objectContaining({
        constellation: 'acme-prod',
        ring: 'early',
        group: 'globex',
        transition: `globex@${'c'.repeat(12)}`,
        step: 'cutover',
      }),
    );
    const callsBefore = [...d.fake.world.calls];
    const again = await runTransition(target('2026.11.0', '2026.11.2'), d.engine);
    expect(again.status).toBe('emergency');
    expect(d.fake.world.calls).toEqual(callsBefore);
  });

  it('waits at a manual gate and goes on once approved', async () => {
    const d = deps();
    const t = target(undefined, '2026.11.0', { gate: 'manual' });
    const waiting = await runTransition(t, d.engine);
    expect(waiting.status).toBe('waiting');
    expect(waiting.reason).toBe(`waiting for approval before cutover: ringmaster approve ${t.planned.id}`);
    expect(d.fake.world.active.size).toBe(0);
    approved.add(t.planned.id);
    const done = await runTransition(t, d.engine);
    expect(done.status).toBe('succeeded');
    expect(d.fake.world.calls).toEqual(['ensure blue 2026.11.0', 'switch blue']);
  });

  it('keeps the old stack for the keep window before retiring it', async () => {
    const d = deps();
    await deployed(d);
    const t = target('2026.11.0', '2026.11.2', { keepMs: 3_600_000 });
    const kept = await runTransition(t, d.engine);
    expect(kept).toEqual(
      expect.objectContaining({
        status: 'waiting',
        reason: 'keeping the blue stack until 2026-11-22T11:00:00.000Z',
      }),
    );
    now = new Date('2026-11-22T11:00:01Z');
    expect((await runTransition(t, d.engine)).status).toBe('succeeded');
    expect([...d.fake.world.stacks.get('eu-1/globex')!.keys()]).toEqual(['green']);
  });

  it('resumes from the journal after a crash, without doing a finished step again', async () => {
    const d = deps();
    await deployed(d);
    const t = target('2026.11.0', '2026.11.2');
    const journal = openJournal();
    // The process died while prepare ran: validate is done, prepare only started.
    await journal.save({
      id: t.planned.id,
      group: 'globex',
      ring: 'early',
      commit: t.planned.commit,
      to: t.planned.to,
      status: 'running',
      startedAt: now.toISOString(),
      steps: [
        {
          name: 'validate',
          status: 'done',
          attempts: 1,
          startedAt: now.toISOString(),
          endedAt: now.toISOString(),
        },
        { name: 'prepare', status: 'started', attempts: 0, startedAt: now.toISOString() },
      ],
    });
    const outcome = await runTransition(t, d.engine);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.entry.steps.find((s) => s.name === 'validate')!.attempts).toBe(1);
    expect(d.fake.world.calls.slice(2)).toEqual(['ensure green 2026.11.2', 'switch green', 'delete blue']);
  });

  it('never retries a step that failed before a crash: it rolls back', async () => {
    const d = deps();
    await deployed(d);
    const t = target('2026.11.0', '2026.11.2');
    await d.fake.providers.cluster.ensureStack(
      { constellation: 'acme-prod', group: 'globex', transition: t.planned.id, step: 'prepare', attempt: 1 },
      {
        cluster: 'eu-1',
        namespace: 'globex',
        color: 'green',
        release: '2026.11.2',
        schemaVersion: t.schemaVersion,
        services: t.services,
        tenants: t.tenants,
        database: t.database,
        secrets: [],
      },
    );
    await openJournal().save({
      id: t.planned.id,
      group: 'globex',
      ring: 'early',
      commit: t.planned.commit,
      to: t.planned.to,
      status: 'running',
      startedAt: now.toISOString(),
      steps: [
        { name: 'validate', status: 'done', attempts: 1, startedAt: now.toISOString() },
        {
          name: 'prepare',
          status: 'done',
          attempts: 1,
          startedAt: now.toISOString(),
          data: { oldColor: 'blue', newColor: 'green' },
        },
        { name: 'verify', status: 'failed', attempts: 1, startedAt: now.toISOString(), error: 'unhealthy' },
      ],
    });
    const outcome = await runTransition(t, d.engine);
    expect(outcome).toEqual(
      expect.objectContaining({ status: 'rolled-back', reason: 'verify failed: unhealthy' }),
    );
    expect([...d.fake.world.stacks.get('eu-1/globex')!.keys()]).toEqual(['blue']);
  });

  it('runs a grace period as health checks journaled one by one, holding nothing between them', async () => {
    const d = deps();
    let checks = 0;
    const check = d.fake.providers.health.check.bind(d.fake.providers.health);
    d.fake.providers.health.check = async (...args) => {
      checks++;
      return check(...args);
    };
    const t = { ...target(undefined, '2026.11.0'), gracePeriodMs: 3 * 3_600_000 };
    const engine = { ...d.engine, healthIntervalMs: 3_600_000 };
    const first = await runTransition(t, engine);
    expect(first).toMatchObject({ status: 'running', reason: 'verifying: 1 of 3 checks healthy' });
    expect(first.entry.until).toBe('2026-11-22T11:00:00.000Z');
    expect(first.entry.steps.at(-1)).toMatchObject({
      name: 'verify',
      status: 'started',
      data: { passed: 1 },
    });
    // Woken early (a restart, say): no check before its time.
    expect((await runTransition(t, { ...engine, journal: openJournal() })).entry.until).toBe(
      '2026-11-22T11:00:00.000Z',
    );
    expect(checks).toBe(1);
    now = new Date('2026-11-22T11:00:00Z');
    expect((await runTransition(t, engine)).reason).toBe('verifying: 2 of 3 checks healthy');
    now = new Date('2026-11-22T12:00:00Z');
    const done = await runTransition(t, engine);
    expect(done.status).toBe('succeeded');
    expect(checks).toBe(4); // three for the grace period, one for the observe period
    expect(done.entry.until).toBeUndefined();
  });

  describe('when the controller stops', () => {
    it('leaves a step cut short open, not failed, hands its attempt back, and the next start finishes it', async () => {
      const d = deps();
      const stop = new AbortController();
      // The health check under way hangs until the stop arrives: a provider call the stop abandons.
      let checking!: () => void;
      const inCheck = new Promise<void>((resolve) => (checking = resolve));
      const check = d.fake.providers.health.check.bind(d.fake.providers.health);
      d.fake.providers.health.check = async (...args) => {
        if (!stop.signal.aborted) {
          checking();
          await new Promise((resolve) => stop.signal.addEventListener('abort', resolve));
        }
        return check(...args);
      };
      const t = target(undefined, '2026.11.0');
      const running = runTransition(t, { ...d.engine, signal: stop.signal });
      await inCheck;
      stop.abort();
      const stopped = await running;
      expect(stopped.status).toBe('waiting');
      expect(stopped.reason).toBe('stopped during verify; resumes when the controller starts again');
      expect(stopped.entry.steps.map((s) => `${s.name}:${s.status}:${s.attempts}`)).toEqual([
        'validate:done:1',
        'prepare:done:1',
        'verify:started:0',
      ]);
      // Nothing was undone: the new stack stays for the step to go on with.
      expect(d.fake.world.calls).toEqual(['ensure blue 2026.11.0']);

      const resumed = await runTransition(t, { ...d.engine, journal: openJournal() });
      expect(resumed.status).toBe('succeeded');
      expect(resumed.entry.steps.find((s) => s.name === 'verify')).toMatchObject({
        status: 'done',
        attempts: 1,
      });
    });

    it('starts no step once stopped, and says so', async () => {
      const d = deps();
      const stop = new AbortController();
      stop.abort();
      const outcome = await runTransition(target(undefined, '2026.11.0'), {
        ...d.engine,
        signal: stop.signal,
      });
      expect(outcome).toMatchObject({
        status: 'waiting',
        reason: 'stopped before validate; resumes when the controller starts again',
      });
      expect(outcome.entry.steps).toEqual([]);
      expect(d.fake.world.calls).toEqual([]);
    });

    it('leaves a rollback open where it stands, to go on at the next start', async () => {
      const d = deps();
      await deployed(d);
      d.fake.world.setScript({ observe: ['permanent'] });
      const stop = new AbortController();
      const undo = d.fake.providers.cluster.switchTraffic.bind(d.fake.providers.cluster);
      // The stop arrives as the cutover is being undone.
      d.fake.providers.cluster.switchTraffic = async (...args) => {
        if (args[0].step === 'cutover' && d.fake.world.calls.includes('switch green')) stop.abort();
        return undo(...args);
      };
      const outcome = await runTransition(target('2026.11.0', '2026.11.1'), {
        ...d.engine,
        signal: stop.signal,
      });
      expect(outcome.status).toBe('rolling-back');
      expect(outcome.entry.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
        'validate:done',
        'prepare:done',
        'verify:done',
        // The undo under way was abandoned at the stop (it is idempotent): the next start does it again.
        'cutover:compensating',
        'observe:failed',
      ]);
      const resumed = await runTransition(target('2026.11.0', '2026.11.1'), {
        ...d.engine,
        journal: openJournal(),
      });
      expect(resumed.status).toBe('rolled-back');
      expect(resumed.entry.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
        'validate:done',
        'prepare:compensated',
        'verify:done',
        'cutover:compensated',
        'observe:failed',
      ]);
      expect(d.fake.world.active.get('eu-1/globex')).toBe('blue');
    });
  });
});
