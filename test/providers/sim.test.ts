import { join } from 'node:path';
import { ConfigurationError, PermanentError, TransientError } from '../../controller/errors.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { ctx, failureOf, faults, spec, simOpener, HOSTS } from './sim-helpers.js';

describe('sim providers', () => {
  let dir: string;
  let statePath: string;
  const { sim, openWorld, closeAll } = simOpener(() => statePath);

  beforeEach(async () => {
    dir = await makeTempDir();
    statePath = join(dir, 'sim.json');
  });
  afterEach(async () => {
    await closeAll();
    await removeDir(dir);
  });

  describe('metrics and snapshots', () => {
    const query = { name: 'error-rate', query: 'sum(errors)', max: 0.01 };

    it('answers every query inside its bound, or what a metric or no-data fault says, leaving other calls alone', async () => {
      const p = await sim({
        faults: faults(
          '  - { group: globex, step: observe, kind: metric, value: 0.05 }\n  - { group: initech, step: verify, kind: no-data }',
        ),
      });
      expect(await p.metrics.measure(ctx('acme', 'verify'), query)).toEqual({ value: 0.01 });
      expect(await p.metrics.measure(ctx('acme', 'verify'), { ...query, max: undefined, min: 0.99 })).toEqual(
        {
          value: 0.99,
        },
      );
      expect(await p.metrics.measure(ctx('globex', 'observe'), query)).toEqual({ value: 0.05 });
      expect(await p.metrics.measure(ctx('globex', 'verify'), query)).toEqual({ value: 0.01 });
      expect(await p.metrics.measure(ctx('initech', 'verify'), query)).toEqual({
        inconclusive: 'no data (sim: injected no-data fault)',
      });
      // The step's other calls are not touched by a fault of its measurements.
      await p.cluster.ensureStack(ctx('initech', 'prepare'), spec('initech', 'green'));
      expect(await p.health.check(ctx('initech', 'verify'), 'eu-1', 'initech', 'green')).toEqual({
        healthy: true,
      });
    });

    it('takes a snapshot once, keeps it across a restart, and refuses one of another instance', async () => {
      const db = { instance: 'globex-db', engine: 'postgres' } as const;
      const first = await sim();
      expect(
        await first.database.ensureSnapshot(ctx('globex', 'prepare'), db, 'acme-globex-412-abc'),
      ).toEqual({
        done: true,
      });
      const again = await sim();
      expect(
        await again.database.ensureSnapshot(ctx('globex', 'prepare'), db, 'acme-globex-412-abc'),
      ).toEqual({
        done: true,
      });
      expect((await openWorld(statePath)).world.snapshots).toEqual({ 'acme-globex-412-abc': 'globex-db' });
      const other = { instance: 'initech-db', engine: 'postgres' } as const;
      const refused = await failureOf(
        again.database.ensureSnapshot(ctx('initech', 'prepare'), other, 'acme-globex-412-abc'),
      );
      expect(refused).toBeInstanceOf(PermanentError);
      expect(refused.message).toMatch(
        /snapshot acme-globex-412-abc is of database globex-db, not initech-db/,
      );
    });
  });

  describe('injected faults', () => {
    it('fails attempts 1 and 2 of a transient times-2 fault and passes attempt 3', async () => {
      const p = await sim({
        faults: faults('  - { group: initech, step: prepare, kind: transient, times: 2 }'),
      });
      const first = await failureOf(
        p.cluster.ensureStack(ctx('initech', 'prepare', 1), spec('initech', 'green')),
      );
      expect(first).toBeInstanceOf(TransientError);
      expect(first.message).toBe(
        'sim: injected transient fault for group initech at step prepare (attempt 1; the first 2 fail)',
      );
      const second = await failureOf(
        p.cluster.ensureStack(ctx('initech', 'prepare', 2), spec('initech', 'green')),
      );
      expect(second).toBeInstanceOf(TransientError);
      expect(second.message).toContain('(attempt 2; the first 2 fail)');
      expect(await p.cluster.ensureStack(ctx('initech', 'prepare', 3), spec('initech', 'green'))).toBe(
        'created',
      );
    });

    it('fails every call of a failing attempt, so a step fails as a whole', async () => {
      const p = await sim({
        faults: faults('  - { group: globex, step: validate, kind: transient, times: 1 }'),
      });
      const db = { instance: 'globex-db', engine: 'postgres' } as const;
      expect(await failureOf(p.database.checkAvailable(ctx('globex', 'validate', 1), db))).toBeInstanceOf(
        TransientError,
      );
      expect(
        await failureOf(p.secrets.checkKeys(ctx('globex', 'validate', 1), { name: 'app', keys: ['token'] })),
      ).toBeInstanceOf(TransientError);
      await expect(p.database.checkAvailable(ctx('globex', 'validate', 2), db)).resolves.toBeUndefined();
      await expect(
        p.secrets.checkKeys(ctx('globex', 'validate', 2), { name: 'app', keys: ['token'] }),
      ).resolves.toBeUndefined();
    });

    it('fails every attempt of a permanent fault, with its message', async () => {
      const p = await sim({
        faults: faults('  - { group: globex, step: verify, kind: permanent, message: probe says no }'),
      });
      await p.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green'));
      for (const attempt of [1, 2, 3, 7]) {
        const err = await failureOf(
          p.health.check(ctx('globex', 'verify', attempt), 'eu-1', 'globex', 'green'),
        );
        expect(err).toBeInstanceOf(PermanentError);
        expect(err.message).toBe(
          'sim: injected permanent fault for group globex at step verify (every attempt fails): probe says no',
        );
      }
    });

    it('fails only the first attempts of a permanent fault with times', async () => {
      const p = await sim({
        faults: faults('  - { group: globex, step: cutover, kind: permanent, times: 1 }'),
      });
      await p.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green'));
      expect(
        await failureOf(
          p.cluster.switchTraffic(ctx('globex', 'cutover', 1), 'eu-1', 'globex', 'green', HOSTS),
        ),
      ).toBeInstanceOf(PermanentError);
      await p.cluster.switchTraffic(ctx('globex', 'cutover', 2), 'eu-1', 'globex', 'green', HOSTS);
      expect(await p.cluster.getActive(ctx('globex', 'observe'), 'eu-1', 'globex')).toEqual({
        color: 'green',
        release: '2026.11.1',
      });
    });

    it('hits only its own group and step', async () => {
      const p = await sim({ faults: faults('  - { group: globex, step: prepare, kind: permanent }') });
      expect(await p.cluster.ensureStack(ctx('initech', 'prepare'), spec('initech', 'green'))).toBe(
        'created',
      );
      expect(await p.cluster.getActive(ctx('globex', 'validate'), 'eu-1', 'globex')).toBeUndefined();
      expect(
        await failureOf(p.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green'))),
      ).toBeInstanceOf(PermanentError);
    });

    it('counts attempts afresh for each transition', async () => {
      const p = await sim({
        faults: faults('  - { group: initech, step: prepare, kind: transient, times: 1 }'),
      });
      const call = (attempt: number, transition: string) =>
        p.cluster.ensureStack(
          ctx('initech', 'prepare', attempt, transition),
          spec('initech', 'green', transition),
        );
      expect(await failureOf(call(1, 'r1'))).toBeInstanceOf(TransientError);
      expect(await call(2, 'r1')).toBe('created');
      expect(await failureOf(call(1, 'r2'))).toBeInstanceOf(TransientError);
      expect(await call(2, 'r2')).toBe('updated');
    });

    it('continues counting after a restart, even when the engine numbers attempts from 1 again', async () => {
      const plan = faults('  - { group: initech, step: prepare, kind: transient, times: 2 }');
      const before = await sim({ faults: plan });
      for (const attempt of [1, 2]) {
        await failureOf(
          before.cluster.ensureStack(ctx('initech', 'prepare', attempt), spec('initech', 'green')),
        );
      }
      const stored = (await openWorld(statePath)).world as unknown as { attempts: unknown };
      expect(stored.attempts).toEqual({
        initech: { prepare: { transition: 'initech@t1', attempt: 2, count: 2 } },
      });
      const after = await sim({ faults: plan });
      expect(await after.cluster.ensureStack(ctx('initech', 'prepare', 1), spec('initech', 'green'))).toBe(
        'created',
      );
    });

    it('waits the latency before every call, faults included', async () => {
      const waits: number[] = [];
      const p = await sim({
        latencyMs: 25,
        sleep: async (ms) => {
          waits.push(ms);
        },
        faults: faults('  - { group: globex, step: verify, kind: permanent }'),
      });
      await p.cluster.getActive(ctx('initech', 'validate'), 'eu-1', 'initech');
      await failureOf(p.health.check(ctx('globex', 'verify'), 'eu-1', 'globex', 'green'));
      expect(waits).toEqual([25, 25]);
    });

    it('makes each call of a slow step wait its duration on the given clock, then do its work', async () => {
      const waits: number[] = [];
      const p = await sim({
        wait: async (ms) => void waits.push(ms),
        faults: faults('  - { group: globex, step: prepare, kind: slow, duration: 10m }'),
      });
      expect(await p.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green'))).toBe('created');
      await p.cluster.getActive(ctx('globex', 'verify'), 'eu-1', 'globex');
      expect(waits).toEqual([600_000]);
    });

    it('makes only the first attempts slow with times, and a cut-short wait changes nothing', async () => {
      const waits: number[] = [];
      const p = await sim({
        wait: async (ms) => {
          waits.push(ms);
          if (waits.length === 1) throw new Error('stopped');
        },
        faults: faults('  - { group: globex, step: prepare, kind: slow, duration: 5m, times: 2 }'),
      });
      const c = (attempt: number) => ctx('globex', 'prepare', attempt);
      expect((await failureOf(p.cluster.ensureStack(c(1), spec('globex', 'green')))).message).toBe('stopped');
      expect(await p.cluster.getActive(c(1), 'eu-1', 'globex')).toBeUndefined();
      expect(await p.cluster.ensureStack(c(2), spec('globex', 'green'))).toBe('created');
      expect(await p.cluster.ensureStack(c(3), spec('globex', 'green'))).toBe('unchanged');
      expect(waits).toEqual([300_000, 300_000, 300_000]);
    });

    it('does not wait without latency, and refuses a negative one', async () => {
      const waits: number[] = [];
      const p = await sim({ sleep: async (ms) => void waits.push(ms) });
      await p.cluster.getActive(ctx('initech', 'validate'), 'eu-1', 'initech');
      expect(waits).toEqual([]);
      await expect(sim({ latencyMs: -1 })).rejects.toThrow(ConfigurationError);
    });
  });

  describe('cluster', () => {
    it('creates, leaves alone and updates a stack', async () => {
      const p = await sim();
      const c = ctx('globex', 'prepare');
      expect(await p.cluster.ensureStack(c, spec('globex', 'green'))).toBe('created');
      expect(await p.cluster.ensureStack(c, spec('globex', 'green'))).toBe('unchanged');
      expect(await p.cluster.ensureStack(c, spec('globex', 'green', '2026.11.1', 3))).toBe('updated');
      expect(await p.cluster.ensureStack(c, spec('globex', 'green', '2026.11.2', 3))).toBe('updated');
      expect(await p.cluster.ensureStack(c, spec('globex', 'green', '2026.11.2', 3))).toBe('unchanged');
      expect(await p.cluster.ensureStack(c, spec('globex', 'blue', '2026.11.2', 3))).toBe('created');
    });

    it('refuses to switch traffic to a colour without a stack', async () => {
      const p = await sim();
      await p.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green'));
      const err = await failureOf(
        p.cluster.switchTraffic(ctx('globex', 'cutover'), 'eu-1', 'globex', 'blue', HOSTS),
      );
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.message).toBe(
        'sim: cannot switch traffic of group globex (eu-1/globex) to blue: there is no blue stack; create it first',
      );
      expect(await p.cluster.getActive(ctx('globex', 'cutover'), 'eu-1', 'globex')).toBeUndefined();
    });

    it('switches traffic and reports the active colour and its release', async () => {
      const p = await sim();
      await p.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'blue', '2026.10.4'));
      await p.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green', '2026.11.1'));
      await p.cluster.switchTraffic(ctx('globex', 'cutover'), 'eu-1', 'globex', 'blue', HOSTS);
      expect(await p.cluster.getActive(ctx('globex', 'cutover'), 'eu-1', 'globex')).toEqual({
        color: 'blue',
        release: '2026.10.4',
      });
      await p.cluster.switchTraffic(ctx('globex', 'cutover'), 'eu-1', 'globex', 'green', HOSTS);
      await p.cluster.switchTraffic(ctx('globex', 'cutover'), 'eu-1', 'globex', 'green', HOSTS);
      expect(await p.cluster.getActive(ctx('globex', 'cutover'), 'eu-1', 'globex')).toEqual({
        color: 'green',
        release: '2026.11.1',
      });
    });

    it('deletes a stack once and stops serving a deleted active colour', async () => {
      const p = await sim();
      const c = ctx('globex', 'finalize');
      await p.cluster.ensureStack(c, spec('globex', 'blue'));
      await p.cluster.switchTraffic(c, 'eu-1', 'globex', 'blue', HOSTS);
      expect(await p.cluster.deleteStack(c, 'eu-1', 'globex', 'green')).toBe('absent');
      expect(await p.cluster.deleteStack(c, 'eu-1', 'globex', 'blue')).toBe('deleted');
      expect(await p.cluster.deleteStack(c, 'eu-1', 'globex', 'blue')).toBe('absent');
      expect(await p.cluster.getActive(c, 'eu-1', 'globex')).toBeUndefined();
    });
  });

  describe('health', () => {
    it('is healthy for an existing stack and unhealthy for a missing one', async () => {
      const p = await sim();
      await p.cluster.ensureStack(ctx('globex', 'prepare'), spec('globex', 'green'));
      expect(await p.health.check(ctx('globex', 'verify'), 'eu-1', 'globex', 'green')).toEqual({
        healthy: true,
      });
      expect(await p.health.check(ctx('globex', 'verify'), 'eu-1', 'globex', 'blue')).toEqual({
        healthy: false,
        reason: 'no blue stack in eu-1/globex',
      });
    });
  });
});
