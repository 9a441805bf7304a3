/**
 * `ringmaster history`: a group's transitions from the journal, newest first,
 * with their steps, after a rollout, a rollback, and a controller stopped
 * part-way (the transition under way is listed as the journal holds it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCli, watch } from '../helpers/child.js';
import { runController, runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo, releaseYaml } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const NOW = new Date('2026-11-23T10:00:00Z');

interface Item {
  id: string;
  status: string;
  reason?: string;
  from?: string;
  to?: string;
  steps: { name: string; status: string; attempts: number; error?: string; seconds?: number }[];
}

describe('ringmaster history', () => {
  let repo: FixtureRepo;
  let state: string;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-history-');
  });
  afterEach(async () => {
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const history = (...args: string[]) => runRingmaster(['history', ...args, '--state', state]);

  it("lists a group's transitions newest first with their steps, after a rollout and a rollback", async () => {
    expect((await runController(repo.dir, state, ['run', '--once'], NOW)).code).toBe(0);
    await repo.write('groups/releases/2026.11.2.yaml', releaseYaml('2026.11.2', 412));
    await repo.edit('groups/rings.yaml', 'release: "2026.11.1"', 'release: "2026.11.2"');
    const promotion = await repo.commit('canary to 2026.11.2');
    const faults = join(state, 'faults.yaml');
    await writeFile(
      faults,
      'faults:\n  - { group: internal, step: verify, kind: permanent, message: boom }\n',
    );
    const failed = await runController(repo.dir, state, ['run', '--once', '--sim-faults', faults], NOW);
    expect(failed.out).toMatch(/↺ internal@\w+ rolled-back/);
    // The JSON log: one line per event of the failed transition, and the halt of its ring once.
    const lines = (await readFile(join(state, 'log.json'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; transition?: string; ring?: string; tenants?: number });
    const ofFailed = lines.filter((l) => l.transition === `internal@${promotion.slice(0, 12)}`);
    expect(ofFailed.map((l) => l.msg)).toEqual([
      'Transition started',
      'Step done',
      'Step done',
      'Step failed; rolling back',
      'Transition rolled back',
    ]);
    expect(ofFailed.every((l) => l.tenants === 2)).toBe(true);
    expect(lines.filter((l) => l.msg === 'Ring halted').map((l) => l.ring)).toEqual(['canary']);

    const json = await history('internal', '--json');
    expect([json.code, json.err]).toEqual([0, '']);
    const items = JSON.parse(json.out) as Item[];
    expect(
      items.map((i) => [i.id.startsWith(`internal@${promotion.slice(0, 12)}`), i.status, i.from, i.to]),
    ).toEqual([
      [true, 'rolled-back', '2026.11.1', '2026.11.2'],
      [false, 'succeeded', undefined, '2026.11.1'],
    ]);
    expect(items[0]!.steps.map((s) => `${s.name} ${s.status}`)).toEqual([
      'validate done',
      'prepare compensated',
      'verify failed',
    ]);
    expect(items[0]!.steps[2]).toMatchObject({
      attempts: 1,
      error: expect.stringMatching(/injected permanent fault.*boom/),
    });
    expect(items[1]!.steps.every((s) => s.status === 'done' && typeof s.seconds === 'number')).toBe(true);

    const text = await history('internal');
    expect(text.out).toMatch(
      new RegExp(
        `^internal@${promotion.slice(0, 12)}  rolled-back  ring canary  2026\\.11\\.1 → 2026\\.11\\.2  `,
        'm',
      ),
    );
    expect(text.out).toMatch(/^ {2}verify +failed +.*injected permanent fault/m);
    // Every group, and a limit.
    const all = JSON.parse((await history('--json')).out) as Item[];
    expect(all.length).toBeGreaterThan(items.length);
    expect(JSON.parse((await history('--json', '--limit', '1')).out)).toHaveLength(1);

    // What the promotion commit did: its change, then its transitions (canary's one group).
    const byCommit = await history('--commit', promotion.slice(0, 7));
    expect(byCommit.out).toMatch(
      new RegExp(`^commit ${promotion}  followed  seen .*\\n  ring canary: 2026\\.11\\.1 → 2026\\.11\\.2\\n`),
    );
    expect(byCommit.out.match(/^\S+@\w+ {2}\S+/gm)).toEqual([
      `internal@${promotion.slice(0, 12)}  rolled-back`,
    ]);
    expect((await history('--commit', 'xyz')).err).toMatch(
      /--commit must be 7 to 40 hex digits of a commit, got "xyz"/,
    );
  });

  it('lists a transition under way as the journal holds it: globex waiting at its gate', async () => {
    // Inside stable's Sunday maintenance window: globex runs up to its manual gate and waits there.
    const sunday = new Date('2026-11-22T01:30:00Z');
    expect((await runController(repo.dir, state, ['run', '--once'], sunday)).code).toBe(0);
    const [latest] = JSON.parse((await history('globex', '--json')).out) as Item[];
    expect(latest).toMatchObject({
      status: 'waiting',
      reason: expect.stringMatching(/^waiting for approval/),
    });
    expect(latest!.steps.map((s) => `${s.name} ${s.status}`)).toEqual([
      'validate done',
      'prepare done',
      'verify done',
      'gate started',
    ]);
  });

  it('lists a transition cut short by a crash as the journal holds it, and the same one finished after the restart', async () => {
    // At real speed verify's grace period is minutes of health checks: the kill finds internal in verify.
    const child = startCli(['run', '--repo', repo.dir, '--state', state, '--port', '0', '--sim-speed', '1']);
    const run = watch(child);
    const journal = join(state, 'journal', 'open.json.log');
    const inVerify = async () =>
      (await readFile(journal, 'utf8').catch(() => '')).includes('"name":"verify","status":"started"');
    try {
      await run.until(/Status page/);
      while (!(await inVerify())) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      child.kill('SIGKILL');
      await run.exit;
    }
    const [cut] = JSON.parse((await history('internal', '--json')).out) as Item[];
    expect(cut!.status).toBe('running');
    expect(cut!.steps.map((s) => `${s.name} ${s.status}`)).toEqual([
      'validate done',
      'prepare done',
      'verify started',
    ]);
    expect((await runController(repo.dir, state, ['run', '--once'], NOW)).code).toBe(0);
    const [done] = JSON.parse((await history('internal', '--json')).out) as Item[];
    expect([done!.id, done!.status]).toEqual([cut!.id, 'succeeded']);
    expect(done!.steps.find((s) => s.name === 'verify')).toMatchObject({ status: 'done' });
  });

  it('says when there is nothing, and refuses a missing state folder', async () => {
    expect(await history('nobody')).toEqual({
      code: 0,
      out: `no transition of group nobody in ${state}`,
      err: '',
    });
    const missing = await runRingmaster(['history', '--state', join(state, 'missing')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no controller state in .*missing; pass --state DIR/);
  });
});
