/**
 * A tenant moving from a shared group to a group of its own, end to end on
 * the sim provider through the CLI: one move, its data taken along by a
 * replica that is promoted, its host never unrouted, the other tenants of
 * the shared group left on their stack, and the tenant's data on the shared
 * database removed only after the ring's keep.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderStatusPage } from '../../controller/server/status-page.js';
import type { ControllerStatus } from '../../controller/state/status-view.js';
import { runController, runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo, moveBetaToItsOwnGroup } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const SUNDAY_WINDOW = new Date('2026-11-22T01:30:00Z');
const KEEP_MS = 72 * 3_600_000;
const JOB = '{ image: "registry.example.com/app/tools:2026.11.0", command: [run] }';

interface SimGroup {
  active?: string;
  stacks: Record<string, { release: string; updatedAt: string }>;
  tenants?: string[];
  databases?: Record<string, string>;
  hosts?: string[];
  jobs?: string[];
}
interface SimWorld {
  groups: Record<string, SimGroup>;
  replicas: Record<string, { source: string; promoted?: boolean }>;
}

describe('moving a tenant to a group of its own', () => {
  let repo: FixtureRepo;
  let state: string;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
    // The release early runs declares the Jobs a move and a departure use.
    await repo.edit(
      'groups/releases/2026.11.0.yaml',
      'services:',
      `tenantJobs:\n  remove: ${JOB}\n  sequences: ${JOB}\nservices:`,
    );
    // What a departed tenant leaves is kept three days, the seeds' practice.
    await repo.edit('policies/promotion.yaml', 'early: { bake: 24h,', 'early: { keep: 72h, bake: 24h,');
    await repo.commit('tenant jobs, keep');
  });
  afterEach(async () => {
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const ringmaster = (...args: string[]) => runController(repo.dir, state, args, SUNDAY_WINDOW, 1_000_000);
  /** The statuses the controller wrote on `commit`, as git notes, one line each. */
  const notes = async (commit: string) =>
    (await repo.git.raw(['log', '-1', '--notes=ringmaster', '--format=%N', commit])).trim().split('\n');
  const world = async () => JSON.parse(await readFile(join(state, 'sim.json'), 'utf8')) as SimWorld;

  it('takes the data along and the host across, and removes what the shared group kept only after keep', async () => {
    expect((await ringmaster('run', '--once')).code).toBe(0);
    const before = await world();
    const shared = before.groups['eu-1/shared-1']!;
    expect(shared.hosts).toEqual(['alpha.example.com', 'beta.example.com']);

    await moveBetaToItsOwnGroup(repo);
    const moved = await repo.commit('beta gets a group of its own');
    const plan = await ringmaster('plan');
    expect(plan.out).toContain('move tenant beta (beta.example.com) from shared-1 to beta');
    expect(plan.out).toMatch(
      /beta@[0-9a-f]{12} +early +new group in ring early on 2026\.11\.0 with 1 tenants; tenant beta moves in from shared-1; the data follows: beta-db made as a replica of shared-1-db, then promoted/,
    );
    expect(plan.out).toMatch(
      /shared-1 +tenant beta moves to beta: this group keeps serving it until the move has taken the data along/,
    );

    // Every view shows the move, as the group that carries it out stands.
    const pending = JSON.parse((await ringmaster('status', '--json')).out) as ControllerStatus;
    expect(pending.moves).toEqual([
      { tenant: 'beta', host: 'beta.example.com', from: 'shared-1', to: 'beta', state: 'progressing' },
    ]);
    expect((await ringmaster('status')).out).toContain(
      'Tenant moves:\n  move tenant beta (beta.example.com) from shared-1 to beta: progressing',
    );
    const page = renderStatusPage(pending);
    expect(page).toContain('<h2>Tenant moves</h2>');
    expect(page).toMatch(
      /<td>beta <span class="meta">beta\.example\.com<\/span><\/td><td><a href="[^"]*shared-1">shared-1<\/a>/,
    );

    const run = await ringmaster('run', '--once');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/✓ beta@[0-9a-f]{12} succeeded/);
    expect(
      (JSON.parse((await ringmaster('status', '--json')).out) as ControllerStatus).moves,
    ).toBeUndefined();
    // The move's own status on its commit: the evidence a production policy's rehearsal rule reads.
    expect(await notes(moved)).toContainEqual(
      expect.stringMatching(
        /^\S+ success "ringmaster\/move\/beta\/shared-1\/beta" "moved tenant beta from shared-1 to beta at 2026-/,
      ),
    );
    const after = await world();
    // The data: a replica of the shared database, promoted; the registry serves beta from it.
    expect(after.replicas['beta-db']).toEqual({ source: 'shared-1-db', promoted: true });
    expect(after.groups['eu-1/beta']!.databases).toBeUndefined();
    expect(after.groups['eu-1/beta']!.hosts).toEqual(['beta.example.com']);
    // The shared group routes alpha alone, on the very stack it had: alpha never changed stack.
    const sharedAfter = after.groups['eu-1/shared-1']!;
    expect(sharedAfter.hosts).toEqual(['alpha.example.com']);
    expect(sharedAfter.active).toBe(shared.active);
    expect(sharedAfter.stacks).toEqual(shared.stacks);

    const history = await runRingmaster(['history', 'beta', '--json', '--state', state]);
    const entries = JSON.parse(history.out) as { steps: { name: string; status: string }[] }[];
    expect(entries[0]!.steps.map((s) => s.name)).toEqual([
      'validate',
      'prepare',
      'verify',
      'cutover',
      'replicate',
      'promote',
      'observe',
      'finalize',
    ]);

    // Once the move is applied, the shared group drops beta: its registry now, its data after keep.
    const status = JSON.parse((await ringmaster('status', '--json')).out) as {
      groups: { name: string; state: string }[];
    };
    expect(status.groups.find((g) => g.name === 'beta')!.state).toBe('ready');
    expect((await ringmaster('plan')).out).toMatch(/shared-1@[0-9a-f]{12} +early +tenants removed: beta/);
    const drop = await ringmaster('run', '--once');
    expect(drop.out).toMatch(/✓ shared-1@[0-9a-f]{12} succeeded/);
    const dropped = (await world()).groups['eu-1/shared-1']!;
    expect(dropped.tenants).toEqual(['alpha']);
    expect(dropped.jobs).toEqual(['tenant-remove-beta']);
    expect(dropped.stacks).toEqual(shared.stacks);
    const steps = (
      JSON.parse((await runRingmaster(['history', 'shared-1', '--json', '--state', state])).out) as {
        steps: { name: string; endedAt?: string }[];
      }[]
    )[0]!.steps;
    const at = (name: string) => Date.parse(steps.find((s) => s.name === name)!.endedAt!);
    // The data beta left on shared-1-db was removed no sooner than the ring's keep after it moved.
    expect(at('finalize') - at('cutover')).toBeGreaterThanOrEqual(KEEP_MS);
  }, 60_000);

  describe('when it fails', () => {
    /** Faults of group beta at `step`: every call (`kind: permanent`), or the first `times` attempts (transient). */
    const faults = async (step: string, times?: number) => {
      const kind = times === undefined ? 'kind: permanent' : `kind: transient, times: ${times}`;
      await writeFile(join(state, 'faults.yaml'), `faults:\n  - { group: beta, step: ${step}, ${kind} }\n`);
      return ['--sim-faults', join(state, 'faults.yaml')];
    };
    const groups = async () =>
      (
        JSON.parse((await ringmaster('status', '--json')).out) as {
          groups: { name: string; state: string; reason?: string }[];
        }
      ).groups;

    it('cuts back before promotion: the host is the shared group’s again and nothing of the move is left', async () => {
      expect((await ringmaster('run', '--once')).code).toBe(0);
      await moveBetaToItsOwnGroup(repo);
      const moved = await repo.commit('beta gets a group of its own');
      // Every attempt of replicate fails (four, the retry budget), then its undo goes through.
      const run = await ringmaster('run', '--once', ...(await faults('replicate', 4)));
      expect(run.out).toMatch(/↺ beta@[0-9a-f]{12} rolled-back: replicate failed: .*injected/);
      const w = await world();
      expect(w.groups['eu-1/shared-1']!.hosts).toEqual(['alpha.example.com', 'beta.example.com']);
      expect(w.groups['eu-1/beta']).toBeUndefined();
      expect(w.replicas).toEqual({});
      expect(await notes(moved)).toContainEqual(
        expect.stringMatching(
          /^\S+ failure "ringmaster\/move\/beta\/shared-1\/beta" "moving tenant beta from shared-1 to beta: cut back to shared-1: replicate failed/,
        ),
      );
      const status = await groups();
      expect(status.find((g) => g.name === 'beta')).toMatchObject({ state: 'held' });
      // The shared group keeps beta, and its data, while the move is held.
      expect(status.find((g) => g.name === 'shared-1')).toMatchObject({
        state: 'waiting',
        reason: expect.stringContaining('tenant beta moves to beta: this group keeps serving it'),
      });
    }, 60_000);

    it('is an emergency after promotion; recover --to target keeps the move and the shared group lets go', async () => {
      expect((await ringmaster('run', '--once')).code).toBe(0);
      await moveBetaToItsOwnGroup(repo);
      const moved = await repo.commit('beta gets a group of its own');
      const run = await ringmaster('run', '--once', ...(await faults('observe')));
      expect(run.out).toMatch(/beta@[0-9a-f]{12} emergency/);
      expect(await notes(moved)).toContainEqual(
        expect.stringMatching(
          /^\S+ error "ringmaster\/move\/beta\/shared-1\/beta" "moving tenant beta from shared-1 to beta: emergency, run ringmaster recover: /,
        ),
      );
      const beta = (await groups()).find((g) => g.name === 'beta')!;
      expect(beta.state).toBe('emergency');
      expect(beta.reason).toContain(
        'tenant beta moved past the point of no return: beta-db was promoted (or being promoted) from a replica of shared-1-db',
      );
      // Nothing was undone: the data and the host stay with beta.
      const w = await world();
      expect(w.replicas['beta-db']).toEqual({ source: 'shared-1-db', promoted: true });
      expect(w.groups['eu-1/beta']!.hosts).toEqual(['beta.example.com']);
      expect(w.groups['eu-1/shared-1']!.hosts).toEqual(['alpha.example.com']);

      expect((await ringmaster('recover', 'beta', '--to', 'target')).code).toBe(0);
      expect((await notes(moved)).slice(-2)).toEqual([
        expect.stringMatching(
          / success "ringmaster\/early\/beta" "beta: emergency resolved \(ringmaster recover --to target\): runs 2026\.11\.0"$/,
        ),
        expect.stringMatching(
          / success "ringmaster\/move\/beta\/shared-1\/beta" "moved tenant beta from shared-1 to beta \(kept by ringmaster recover --to target\)"$/,
        ),
      ]);
      const after = await ringmaster('run', '--once');
      expect(after.out).toMatch(/✓ shared-1@[0-9a-f]{12} succeeded/);
      expect((await world()).groups['eu-1/shared-1']!.tenants).toEqual(['alpha']);
      expect((await groups()).find((g) => g.name === 'beta')!.state).toBe('ready');
    }, 60_000);

    it('is cut back after promotion by recover --to cut-back: the host goes back, what was written is copied back, the promoted database is kept', async () => {
      await repo.edit('groups/releases/2026.11.0.yaml', 'tenantJobs:\n', `tenantJobs:\n  cutback: ${JOB}\n`);
      await repo.commit('2026.11.0 can cut a moved tenant back');
      expect((await ringmaster('run', '--once')).code).toBe(0);
      const shared = (await world()).groups['eu-1/shared-1']!;
      await moveBetaToItsOwnGroup(repo);
      const moved = await repo.commit('beta gets a group of its own');
      expect((await ringmaster('run', '--once', ...(await faults('observe')))).out).toMatch(
        /beta@[0-9a-f]{12} emergency/,
      );
      // The emergency says what the cut-back does.
      expect((await groups()).find((g) => g.name === 'beta')!.reason).toContain(
        '--to cut-back to have the controller route the tenants back to shared-1 and copy what they wrote since back',
      );

      const recover = await ringmaster('recover', 'beta', '--to', 'cut-back');
      expect([recover.code, recover.err]).toEqual([0, '']);
      expect(recover.out).toBe(
        `tenant beta cut back to shared-1: routed there again, what it wrote on beta-db since promotion was copied back by the release's cutback Job. beta-db is kept: delete it once you have checked the data. The controller treats beta as not deployed (its first deployment failed); commit ${moved.slice(0, 12)} stays held for it until a newer commit changes it`,
      );
      expect(await notes(moved)).toContainEqual(
        expect.stringMatching(
          / failure "ringmaster\/early\/beta" "beta: rolled back \(ringmaster recover --to cut-back\); the commit stays held"$/,
        ),
      );
      // The move's status on its commit says it was cut back, after the emergency's error.
      expect((await notes(moved)).filter((l) => l.includes('ringmaster/move/'))).toEqual([
        expect.stringMatching(
          / error "ringmaster\/move\/beta\/shared-1\/beta" "moving tenant beta from shared-1 to beta: emergency/,
        ),
        expect.stringMatching(
          / failure "ringmaster\/move\/beta\/shared-1\/beta" "moving tenant beta from shared-1 to beta: cut back to shared-1: asked by ringmaster recover --to cut-back after observe failed/,
        ),
      ]);
      const w = await world();
      expect(w.groups['eu-1/shared-1']!.hosts).toEqual(['alpha.example.com', 'beta.example.com']);
      // The shared group's stack and registry are as they were: they never stopped serving beta's data.
      expect(w.groups['eu-1/shared-1']).toEqual(shared);
      expect(w.groups['eu-1/beta']).toBeUndefined();
      expect(w.replicas['beta-db']).toEqual({ source: 'shared-1-db', promoted: true });
      const entry = (
        JSON.parse((await runRingmaster(['history', 'beta', '--json', '--state', state])).out) as {
          status: string;
          recovery?: { to: string };
          steps: { name: string; status: string }[];
        }[]
      )[0]!;
      expect(entry.status).toBe('rolled-back');
      expect(entry.recovery).toMatchObject({ to: 'cut-back' });
      expect(Object.fromEntries(entry.steps.map((s) => [s.name, s.status]))).toMatchObject({
        prepare: 'compensated',
        cutover: 'compensated',
        replicate: 'compensated',
        promote: 'compensated',
        observe: 'failed',
      });
      const status = await groups();
      expect(status.find((g) => g.name === 'beta')).toMatchObject({
        state: 'held',
        reason: expect.stringContaining(
          'asked by ringmaster recover --to cut-back after observe failed: sim: injected',
        ),
      });
      expect(status.find((g) => g.name === 'shared-1')).toMatchObject({ state: 'waiting' });
      expect((await runRingmaster(['history', 'beta', '--state', state])).out).toMatch(
        /\n {2}recovered --to cut-back at \d{4}-/,
      );
      // The controller goes on with the rest and leaves the held move alone.
      expect((await ringmaster('run', '--once')).code).toBe(0);
      expect((await world()).groups['eu-1/beta']).toBeUndefined();
    }, 60_000);

    it('refuses to cut back by itself when the release cannot copy back what was written, changing nothing', async () => {
      expect((await ringmaster('run', '--once')).code).toBe(0);
      await moveBetaToItsOwnGroup(repo);
      await repo.commit('beta gets a group of its own');
      await ringmaster('run', '--once', ...(await faults('observe')));
      const recover = await ringmaster('recover', 'beta', '--to', 'cut-back');
      expect(recover.code).toBe(2);
      expect(recover.err).toContain(
        'tenant beta may have written on beta-db since promotion, and release 2026.11.0 declares no tenantJobs.cutback to copy that back to shared-1-db; cut the tenants back by hand (route their hosts to shared-1, copy their data back), then run ringmaster recover beta --to previous',
      );
      expect((await groups()).find((g) => g.name === 'beta')!.state).toBe('emergency');
      expect((await world()).groups['eu-1/beta']!.hosts).toEqual(['beta.example.com']);
    }, 60_000);

    it('has nothing to cut back in an emergency that is not a move past promotion', async () => {
      expect((await ringmaster('run', '--once')).code).toBe(0);
      await moveBetaToItsOwnGroup(repo);
      await repo.commit('beta gets a group of its own');
      // Every attempt of replicate fails, and so does its undo: an emergency before promotion.
      await ringmaster('run', '--once', ...(await faults('replicate')));
      expect((await groups()).find((g) => g.name === 'beta')!.state).toBe('emergency');
      const recover = await ringmaster('recover', 'beta', '--to', 'cut-back');
      expect(recover.code).toBe(2);
      expect(recover.err).toMatch(
        /the emergency of beta \(beta@[0-9a-f]{12}\) is not a tenant move that failed past promotion, so there is nothing to cut back; make the world match one side, then run ringmaster recover beta --to previous or --to target/,
      );
    }, 60_000);
  });
});
