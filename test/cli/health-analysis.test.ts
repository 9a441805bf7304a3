/**
 * A health analysis rehearsed on the sim provider, through `ringmaster run`:
 * the policy's query is judged in the observe period; a `metric` fault makes
 * one group's measurement cross the bound (rolled back and held, the status
 * naming the query and the value), a `no-data` fault leaves another waiting for
 * a person until `ringmaster approve`, and the rest pass.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runController, runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo, releaseYaml } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const NOW = new Date('2026-11-23T10:00:00Z');

const ANALYSIS = [
  'health:',
  '  gracePeriod: 2m',
  '  observe: 5m',
  '  analysis:',
  '    - name: error-rate',
  '      query: sum(rate(errors{namespace="{{namespace}}",colour="{{colour}}"}[5m]))',
  '      max: 0.01',
  '      interval: 1m',
  '      during: [observe]',
  '',
].join('\n');

describe('health analysis rehearsed on the sim provider', () => {
  let repo: FixtureRepo;
  let state: string;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-analysis-');
  });
  afterEach(async () => {
    await removeDir(repo.dir);
    await removeDir(state);
  });

  it('holds the group whose measurement crosses the bound and waits for a person where there is no data', async () => {
    expect((await runController(repo.dir, state, ['run', '--once'], NOW)).code).toBe(0);
    await repo.edit('policies/promotion.yaml', '\nfreeze:', `\n${ANALYSIS}freeze:`);
    await repo.edit('policies/promotion.yaml', 'early: { bake: 24h', 'early: { bake: 0h');
    await repo.write('groups/releases/2026.11.2.yaml', releaseYaml('2026.11.2', 412));
    await repo.edit('groups/rings.yaml', 'release: "2026.11.1"', 'release: "2026.11.2"');
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const promotion = await repo.commit('analysis in the policy; canary to 2026.11.2, early to 2026.11.1');
    const faults = join(state, 'faults.yaml');
    await writeFile(
      faults,
      'faults:\n  - { group: shared-1, step: observe, kind: metric, value: 0.05 }\n  - { group: internal, step: observe, kind: no-data }\n',
    );
    const run = (...args: string[]) =>
      runController(repo.dir, state, ['run', '--once', '--sim-faults', faults, ...args], NOW);

    const first = await run();
    expect(first.out).toMatch(
      /↺ shared-1@[0-9a-f]{12} rolled-back: observe failed: error-rate 0\.05 > max 0\.01 on (blue|green)/,
    );
    const id = `internal@${promotion.slice(0, 12)}`;
    const status = JSON.parse((await runController(repo.dir, state, ['status', '--json'], NOW)).out) as {
      groups: { name: string; state: string; step?: string; reason?: string }[];
    };
    expect(status.groups.find((g) => g.name === 'shared-1')).toMatchObject({
      state: 'held',
      reason: expect.stringMatching(/^observe failed: error-rate 0\.05 > max 0\.01 on (blue|green)$/),
    });
    expect(status.groups.find((g) => g.name === 'internal')).toMatchObject({
      state: 'waiting',
      step: 'observe',
      reason: expect.stringMatching(
        new RegExp(
          `^error-rate inconclusive: no data \\(sim: injected no-data fault\\) on (blue|green); a person decides: ringmaster approve ${id} to go on`,
        ),
      ),
    });

    const approve = await runRingmaster(['approve', id, '--repo', repo.dir, '--state', state], { now: NOW });
    expect([approve.code, approve.err]).toEqual([0, '']);
    expect((await run()).out).toMatch(new RegExp(`✓ ${id} succeeded`));
  });
});
