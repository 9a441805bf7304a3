/**
 * The controller stays live while a transition is slow: a group whose observe
 * call takes ten minutes (a slow fault) holds neither its ring nor the looks.
 * Meanwhile the other groups finish, the status shows the slow group at its
 * step, a new commit to another ring rolls out, an approval opens a gate, and
 * SIGTERM stops the process without waiting for the slow call; the next
 * start resumes the transition and finishes it once. Runs the built CLI as
 * child processes, on a real repository, at real speed.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FixtureRepo, createFixtureRepo, releaseYaml } from '../helpers/constellation.js';
import { startCli, watch } from '../helpers/child.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { runController } from '../helpers/cli.js';
import { SUNDAY_WINDOW, createHeldGroupRepo } from '../helpers/held-group.js';

const POLICY = `apiVersion: ringmaster/v1
kind: PromotionPolicy
order: [canary, early, stable]
rings:
  canary: { bake: 0h, approvals: 1, reviewers: ["@test/release"], maxParallel: 5 }
  early: { bake: 0h, approvals: 1, reviewers: ["@test/release"], maxParallel: 5 }
  stable: { bake: 0h, approvals: 1, reviewers: ["@test/sre"], gate: manual }
health: { gracePeriod: 0m, observe: 0m }
`;

const SHARED_2 = `apiVersion: ringmaster/v1
kind: Group
name: shared-2
ring: early
resources:
  cluster: eu-1
  namespace: shared-2
  database: { instance: shared-2-db, engine: postgres }
  secrets:
    - { name: test/shared-2/db, keys: [username, password] }
tenants:
  - { id: gamma, host: gamma.example.com, language: en-GB, utcOffset: "+00:00" }
`;

interface GroupView {
  name: string;
  state: string;
  step?: string;
  appliedRelease?: string;
  transition?: string;
}
interface StatusView {
  commit?: string;
  rings: { name: string; state: string }[];
  reconciledAt?: string;
  groups: GroupView[];
}

describe('a live controller with a slow group', () => {
  let repo: FixtureRepo;
  let state: string;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
    await repo.write('policies/promotion.yaml', POLICY);
    await repo.write('groups/shared-2.yaml', SHARED_2);
    await repo.commit('a second group in early, health checks of one call');
  });
  /** Controllers started, stopped after each test whatever happened. */
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const common = () => ['--repo', repo.dir, '--state', state];
  const cli = async (...args: string[]) => {
    const child = watch(startCli(args));
    const code = await child.exit;
    return { code, out: child.text(), err: child.errors() };
  };
  /** `ringmaster status --json` of the state folder, as an operator runs it beside the controller. */
  const offlineStatus = async (): Promise<StatusView> => {
    const status = await cli('status', '--json', ...common());
    expect(status.err).toBe('');
    return JSON.parse(status.out) as StatusView;
  };
  const group = (s: StatusView, name: string) => s.groups.find((g) => g.name === name)!;

  it('finishes the rest, reads commits and approvals, and stops at SIGTERM while one group is slow', async () => {
    const faults = join(state, 'faults.yaml');
    await writeFile(faults, 'faults:\n  - { group: shared-2, step: observe, kind: slow, duration: 10m }\n');
    const args = ['run', ...common(), '--port', '0', '--log-file', join(state, 'log.json')];
    const child = startCli([...args, '--sim-speed', '1', '--poll', '* * * * * *', '--sim-faults', faults]);
    children.push(child);
    const run = watch(child);
    try {
      await run.until(/Status page (\S+)/);
      const page = /Status page (\S+)/.exec(run.text())![1]!;
      const apiStatus = async (): Promise<StatusView> =>
        (await (await fetch(new URL('/api/status', page))).json()) as StatusView;
      /** Asks the running controller until `ok` holds of its status, as long as it runs (the test's timeout bounds it). */
      const apiUntil = async (ok: (s: StatusView) => boolean): Promise<StatusView> => {
        let last: unknown;
        while (child.exitCode === null) {
          const s = await apiStatus().catch((err: unknown) => err);
          if ((s as StatusView).groups && ok(s as StatusView)) return s as StatusView;
          last = s;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`the status never came to it; last: ${JSON.stringify(last)}\n${run.text()}`);
      };

      // The rest of the first rollout finishes while shared-2 sits in its ten-minute observe call.
      await run.until(/✓ internal@\w+ succeeded/);
      await run.until(/✓ shared-1@\w+ succeeded/);
      await run.until(/… globex@(\w+) waiting: waiting for approval before cutover/);
      const slow = await apiUntil((s) => group(s, 'shared-2').step === 'observe');
      expect(group(slow, 'shared-2')).toMatchObject({ state: 'progressing', step: 'observe' });
      expect(group(slow, 'shared-1')).toMatchObject({ state: 'ready', appliedRelease: '2026.11.0' });

      // The state folder read offline says the same as the running controller.
      const offline = await offlineStatus();
      const live = await apiStatus();
      expect({ ...offline, reconciledAt: undefined }).toEqual({ ...live, reconciledAt: undefined });

      // A new commit to canary is read and rolled out at the next look.
      await repo.write('groups/releases/2026.11.2.yaml', releaseYaml('2026.11.2', 420));
      await repo.edit('groups/rings.yaml', 'release: "2026.11.1"', 'release: "2026.11.2"');
      const promoted = await repo.commit('canary to 2026.11.2');
      await run.until(new RegExp(`✓ internal@${promoted.slice(0, 12)} succeeded`));

      // An approval commit opens the gate at the next look.
      const globex = /… (globex@\w+) waiting: waiting for approval/.exec(run.text())![1]!;
      const approved = await cli('approve', globex, '--repo', repo.dir);
      expect(approved.code).toBe(0);
      await run.until(new RegExp(`✓ ${globex} succeeded`));

      // shared-2 is still in its observe call, shown so.
      expect(group(await apiStatus(), 'shared-2')).toMatchObject({ state: 'progressing', step: 'observe' });
      expect(run.text()).not.toMatch(/shared-2@\w+ (succeeded|rolled-back)/);
    } finally {
      child.kill('SIGTERM');
    }
    // The stop does not wait for the ten-minute call: the test's timeout would end first.
    expect(await run.exit).toBe(0);
    expect(run.text()).toMatch(
      /Stopped\. 1 transition is left open \((shared-2@\w+)\); the next start resumes it\./,
    );
    const id = /Stopped\. 1 transition is left open \((shared-2@\w+)\)/.exec(run.text())![1]!;

    // Without the fault, the next start resumes it and finishes it, once.
    const again = await cli(...args, '--once', '--sim-speed', '1');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(new RegExp(`^Resuming 1 transition left open: ${id} \\(waiting\\)$`, 'm'));
    expect(again.out.match(new RegExp(`✓ ${id} succeeded`, 'g'))).toHaveLength(1);
    expect(group(await offlineStatus(), 'shared-2')).toMatchObject({
      state: 'ready',
      appliedRelease: '2026.11.0',
    });
  }, 60_000);
});

/**
 * `ringmaster status --json` read offline and `/api/status` of a controller
 * running on the same state folder are one document (but for when it was
 * built), after a rollout, a halt, a hold and a crash.
 */
describe('the status offline and from a running controller', () => {
  const children: ChildProcess[] = [];
  const remove: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    for (const r of remove.splice(0)) await r();
  });

  /**
   * Both documents, once the running controller shows `ready` (by default: its
   * look has settled, no group is part-way through a step), without reconciledAt.
   */
  async function bothStatuses(
    repo: string,
    state: string,
    ready: (s: StatusView) => boolean = (s) => s.groups.every((g) => g.state !== 'progressing'),
    extra: string[] = [],
  ): Promise<{ offline: StatusView; live: StatusView }> {
    const common = ['--repo', repo, '--state', state];
    const child = startCli(['run', ...common, '--port', '0', '--poll', '0 0 0 1 1 *', ...extra]);
    children.push(child);
    const run = watch(child);
    await run.until(/Status page (\S+)/);
    const page = /Status page (\S+)/.exec(run.text())![1]!;
    let live: StatusView | undefined;
    // However long the machine takes to get there: the test's timeout bounds it.
    while (!live) {
      const response = await fetch(new URL('/api/status', page));
      const s = response.ok ? ((await response.json()) as StatusView) : undefined;
      if (s && ready(s)) live = s;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const offline = watch(startCli(['status', '--json', ...common]));
    expect(await offline.exit).toBe(0);
    child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    const without = (s: StatusView) => ({ ...s, reconciledAt: undefined });
    return { offline: without(JSON.parse(offline.text()) as StatusView), live: without(live!) };
  }

  it('agree after a rollout, a halt and a hold', async () => {
    const held = await createHeldGroupRepo();
    remove.push(() => held.remove());
    const halted = await bothStatuses(held.repo.dir, held.state);
    expect(halted.live).toEqual(halted.offline);
    expect(halted.offline).toMatchObject({
      rings: expect.arrayContaining([expect.objectContaining({ name: 'early', state: 'halted' })]),
    });
    expect(halted.offline.groups.find((g) => g.name === 'shared-1')).toMatchObject({ state: 'held' });

    // A failure budget of one: shared-1 is held, its ring is not halted.
    await held.repo.edit('policies/promotion.yaml', /early: \{ /, 'early: { failureBudget: 1, ');
    await held.repo.commit('early tolerates one failed group');
    const hold = await bothStatuses(held.repo.dir, held.state);
    expect(hold.live).toEqual(hold.offline);
    expect(hold.offline.groups.find((g) => g.name === 'shared-1')).toMatchObject({ state: 'held' });
    expect(JSON.stringify(hold.offline.rings)).not.toContain('halted');
  }, 60_000);

  it('agree after a rollout, and after a crash in the middle of a step', async () => {
    const repo = await createFixtureRepo();
    const state = await makeTempDir('ringmaster-state-');
    remove.push(
      () => removeDir(repo.dir),
      () => removeDir(state),
    );
    await runController(repo.dir, state, ['run', '--once'], SUNDAY_WINDOW);
    const rollout = await bothStatuses(repo.dir, state);
    expect(rollout.live).toEqual(rollout.offline);
    expect(rollout.offline.groups.find((g) => g.name === 'shared-1')).toMatchObject({ state: 'ready' });

    // Killed while shared-1's observe call is under way: the journal holds it open at observe.
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    await repo.commit('promote 2026.11.1 to early');
    const faults = join(state, 'faults.yaml');
    // The grace period's twenty checks pass in a second at this speed; the observe call takes months.
    await writeFile(faults, 'faults:\n  - { group: shared-1, step: observe, kind: slow, duration: 60d }\n');
    const slow = ['--sim-faults', faults, '--sim-speed', '600'];
    const child = startCli(['run', '--repo', repo.dir, '--state', state, '--port', '0', ...slow]);
    children.push(child);
    const run = watch(child);
    const journal = join(state, 'journal', 'open.json.log');
    const observeStarted = () => fileHolds(journal, '"name":"observe","status":"started"');
    while (!(await observeStarted())) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await observeStarted()).toBe(true);
    child.kill('SIGKILL');
    await run.exit;
    const observing = (s: StatusView) => s.groups.find((g) => g.name === 'shared-1')?.step === 'observe';
    const crashed = await bothStatuses(repo.dir, state, observing, slow);
    expect(crashed.live).toEqual(crashed.offline);
    expect(crashed.offline.groups.find((g) => g.name === 'shared-1')).toMatchObject({
      state: 'progressing',
      step: 'observe',
    });
  }, 60_000);
});

/** Whether `path` holds `text` now (absent counts as empty). */
async function fileHolds(path: string, text: string): Promise<boolean> {
  return (await readFile(path, 'utf8').catch(() => '')).includes(text);
}
