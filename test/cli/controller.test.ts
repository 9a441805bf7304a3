import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';
import { itWithOpenFiles, openFiles } from '../helpers/open-files.js';
import { FOLLOWED_REF } from '../../controller/source/mirror.js';

const SUNDAY_WINDOW = new Date('2026-11-22T01:30:00Z');

describe('the controller commands on a real repository', () => {
  let repo: FixtureRepo;
  let state: string;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    state = await makeTempDir('ringmaster-state-');
  });
  afterEach(async () => {
    await removeDir(repo.dir);
    await removeDir(state);
  });

  const ringmaster = (...args: string[]) =>
    runRingmaster(
      [
        ...args,
        '--repo',
        repo.dir,
        '--state',
        state,
        '--sim-speed',
        '100000',
        '--log-file',
        join(state, 'log.json'),
      ],
      { now: SUNDAY_WINDOW },
    );
  const notes = async (commit: string) =>
    (await repo.git.raw(['log', '-1', '--notes=ringmaster', '--format=%N', commit])).trim().split('\n');
  const groups = async () => {
    const run = await ringmaster('status', '--json');
    return Object.fromEntries(
      (JSON.parse(run.out).groups as { name: string; state: string; appliedRelease?: string }[]).map((g) => [
        g.name,
        `${g.state} ${g.appliedRelease ?? '-'}`,
      ]),
    );
  };

  it('rolls out, waits at the manual gate, and cuts over once the approval is merged', async () => {
    const first = await ringmaster('run', '--once');
    expect(first.code).toBe(0);
    const waitingLine = first.out.split('\n').find((l) => l.includes('globex@'))!;
    expect(waitingLine).toMatch(
      /… globex@[0-9a-f]{12} waiting: waiting for approval before cutover: ringmaster approve globex@[0-9a-f]{12}$/,
    );
    expect(await notes(repo.baseSha)).toEqual([
      expect.stringMatching(/ pending "ringmaster\/canary" "canary: 0\/1 groups on 2026\.11\.1"$/),
      expect.stringMatching(/ pending "ringmaster\/early" "early: 0\/1 groups on 2026\.11\.0"$/),
      expect.stringMatching(/ pending "ringmaster\/stable" "stable: 0\/1 groups on 2026\.10\.4"$/),
      expect.stringMatching(/ success "ringmaster\/canary" "canary: 1\/1 groups on 2026\.11\.1"$/),
      expect.stringMatching(/ success "ringmaster\/early" "early: 1\/1 groups on 2026\.11\.0"$/),
      expect.stringMatching(
        / pending "ringmaster\/stable" "stable: 0\/1 groups on 2026\.10\.4 · 1 waiting: waiting for approval/,
      ),
    ]);

    const transition = /ringmaster approve (globex@[0-9a-f]{12})/.exec(waitingLine)![1]!;
    const approve = await runRingmaster([
      'approve',
      transition,
      '--repo',
      repo.dir,
      '--state',
      state,
      '--reason',
      'change board',
    ]);
    expect(approve.out).toMatch(new RegExp(`^approved ${transition} in commit [0-9a-f]{12}`));
    const second = await ringmaster('run', '--once');
    expect(second.out).toContain(`✓ ${transition} succeeded`);
    expect(await groups()).toEqual({
      internal: 'ready 2026.11.1',
      'shared-1': 'ready 2026.11.0',
      globex: 'ready 2026.10.4',
    });
  });

  it('rolls a group back on a permanent fault, reports it and holds the commit', async () => {
    await ringmaster('run', '--once');
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const promotion = await repo.commit('promote 2026.11.1 to early');
    await writeFile(
      join(state, 'faults.yaml'),
      'faults:\n  - { group: shared-1, step: verify, kind: permanent }\n',
    );
    const run = await ringmaster('run', '--once', '--sim-faults', join(state, 'faults.yaml'));
    expect(run.out).toMatch(/↺ shared-1@[0-9a-f]{12} rolled-back: verify failed: .*injected/);
    expect(await notes(promotion)).toEqual([
      expect.stringMatching(/ pending "ringmaster\/early" "early: 0\/1 groups on 2026\.11\.1"$/),
      expect.stringMatching(
        / failure "ringmaster\/early" "early: 0\/1 groups on 2026\.11\.1 · 1 rolled back · halted: 1 group failed, budget 0"$/,
      ),
      expect.stringMatching(/ failure "ringmaster\/early\/shared-1" "shared-1: rolled back: verify failed/),
    ]);
    const again = await ringmaster('run', '--once');
    expect(again.out).not.toContain('shared-1@');
    expect((await groups())['shared-1']).toBe('held 2026.11.0');
    const plan = await ringmaster('plan');
    expect(plan.out).toMatch(
      /shared-1 +commit [0-9a-f]{12} failed here \(verify failed: .*\); held until a newer commit changes the group/,
    );
  });

  it('leaves a group whose cutover cannot be undone in emergency until recover', async () => {
    await ringmaster('run', '--once');
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const promotion = await repo.commit('promote 2026.11.1 to early');
    await writeFile(
      join(state, 'faults.yaml'),
      'faults:\n  - { group: shared-1, step: cutover, kind: permanent }\n',
    );
    const run = await ringmaster('run', '--once', '--sim-faults', join(state, 'faults.yaml'));
    expect(run.out).toMatch(
      /⚠ shared-1@[0-9a-f]{12} emergency: cutover failed: .*; undoing cutover failed too/,
    );
    expect((await groups())['shared-1']).toBe('emergency 2026.11.0');
    const untouched = await ringmaster('run', '--once');
    expect(untouched.out).not.toContain('shared-1@');

    const recover = await ringmaster('recover', 'shared-1', '--to', 'previous');
    expect(recover.out).toMatch(
      /^group shared-1 recovered to previous: the controller treats it as running 2026\.11\.0; commit [0-9a-f]{12} stays held/,
    );
    expect((await groups())['shared-1']).toBe('held 2026.11.0');
    // The group's status on the commit no longer says error: a human ended the emergency.
    const groupStatuses = (await notes(promotion)).filter((l) => l.includes('"ringmaster/early/shared-1"'));
    expect(groupStatuses.at(-2)).toMatch(
      / error "ringmaster\/early\/shared-1" "shared-1: emergency, run ringmaster recover/,
    );
    expect(groupStatuses.at(-1)).toMatch(
      / failure "ringmaster\/early\/shared-1" "shared-1: rolled back by hand \(ringmaster recover --to previous\); the commit stays held"$/,
    );
    const refused = await ringmaster('recover', 'shared-1', '--to', 'target');
    expect(refused.code).toBe(2);
    expect(refused.err).toBe(
      "ringmaster: group shared-1 is not in emergency; ringmaster status shows each group's state",
    );
  });

  it('gives commits passed over between two looks a final status naming the commit that superseded them', async () => {
    await ringmaster('run', '--once');
    await repo.edit(
      'groups/internal.yaml',
      'language: en-US, utcOffset: "-05:00" }',
      'language: en-GB, utcOffset: "-05:00" }',
    );
    const older = await repo.commit('acme speaks British English');
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const newer = await repo.commit('promote 2026.11.1 to early');
    const run = await ringmaster('run', '--once');
    expect(run.code).toBe(0);
    expect(await notes(older)).toEqual([
      expect.stringMatching(
        new RegExp(
          ` success "ringmaster" "superseded by ${newer.slice(0, 12)} before it was applied; its changes roll out with that commit"$`,
        ),
      ),
    ]);
    expect(await notes(newer)).toEqual(
      expect.arrayContaining([expect.stringMatching(/ success "ringmaster\/early" /)]),
    );
  });

  it('refuses a rewritten history with an error status until an operator accepts it', async () => {
    await ringmaster('run', '--once');
    await repo.git.raw(['commit', '--amend', '-m', 'base, rewritten']);
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    const rewritten = await repo.commit('promote on the rewritten history');
    const refused = await ringmaster('run', '--once');
    expect(refused.out).toContain(
      `✗ the branch was rewritten (force push) to ${rewritten.slice(0, 12)}; nothing from it is applied until: ringmaster accept-history ${rewritten.slice(0, 12)}`,
    );
    expect(await notes(rewritten)).toEqual([
      expect.stringMatching(
        / error "ringmaster" "history rewritten: not applied; an operator runs ringmaster accept-history/,
      ),
    ]);
    expect((await groups())['shared-1']).toBe('ready 2026.11.0');

    const accept = await ringmaster('accept-history', rewritten.slice(0, 12));
    expect(accept.out).toBe(`following main from ${rewritten.slice(0, 12)}; the next run applies it`);
    const applied = await ringmaster('run', '--once');
    expect(applied.out).toMatch(/✓ shared-1@[0-9a-f]{12} succeeded/);
  });

  it('reads with the same file size cap as validate and applies nothing over it', async () => {
    const args = [
      'run',
      '--once',
      '--repo',
      repo.dir,
      '--state',
      state,
      '--log-file',
      join(state, 'log.json'),
    ];
    const run = await runRingmaster(args, { env: { RINGMASTER_MAX_FILE_BYTES: '100' }, now: SUNDAY_WINDOW });
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^✗ commit [0-9a-f]{12} does not validate; nothing applied:$/m);
    expect(run.out).toContain('over the limit of 100; split it, or raise --max-file-bytes [file-too-large]');
    expect(run.out).not.toMatch(/✓ \S+@/);
  });

  it('refuses a head over the file count cap with a located error status, and keeps following the commit it followed', async () => {
    const withCap = (cap: string, ...args: string[]) =>
      runRingmaster(
        [
          ...args,
          '--repo',
          repo.dir,
          '--state',
          state,
          '--sim-speed',
          '100000',
          '--log-file',
          join(state, 'log.json'),
        ],
        { env: { RINGMASTER_MAX_FILES: cap }, now: SUNDAY_WINDOW },
      );
    // The commit the controller follows, as its mirror in the state folder records it.
    const followed = async () =>
      (
        await simpleGit({ baseDir: join(state, 'mirror.git') }).raw([
          'for-each-ref',
          '--format=%(objectname)',
          FOLLOWED_REF,
        ])
      ).trim();
    // The base holds 8 files: within a cap of 8.
    expect((await withCap('8', 'run', '--once')).code).toBe(0);
    expect(await followed()).toBe(repo.baseSha);
    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "2026.11.1"');
    await repo.write(
      'groups/extra.yaml',
      'apiVersion: ringmaster/v1\nkind: Group\nname: extra\nring: early\nresources:\n  cluster: eu-1\n  namespace: extra\n  database: { instance: extra-db, engine: postgres }\n  secrets: []\ntenants:\n  - { id: extra-t, host: extra.example.com, language: en-GB, utcOffset: "+00:00" }\n',
    );
    const head = await repo.commit('promote early and add a group: 9 files');
    const finding =
      'groups/:1:1: groups/ holds 8 files (9 under groups/ and policies/), more than the 8 read at most, so none was read; ' +
      'remove files, or raise the limit with --max-files or RINGMASTER_MAX_FILES [too-many-files]';
    // Refused at every look (a restart included), never applied.
    for (let look = 0; look < 2; look++) {
      const refused = await withCap('8', 'run', '--once');
      expect(refused.out).toContain(
        `✗ commit ${head.slice(0, 12)} does not validate; nothing applied:\n  ${finding}`,
      );
    }
    expect(await notes(head)).toEqual([
      expect.stringMatching(
        / error "ringmaster\/validate" "not applied: 1 validation errors; first: groups\/:1:1: groups\/ holds 8 files/,
      ),
    ]);
    expect(await followed()).toBe(repo.baseSha);
    // Still running the release of the base (status, without the cap, reads the head and calls it progressing).
    expect((await groups())['shared-1']).toMatch(/ 2026\.11\.0$/);
    // Raising the cap lets the same head through.
    const applied = await withCap('9', 'run', '--once');
    expect(applied.out).toMatch(/✓ shared-1@[0-9a-f]{12} succeeded/);
    expect(await followed()).toBe(head);
  });

  it('prints what run would start before anything ran', async () => {
    const plan = await ringmaster('plan');
    expect(plan.code).toBe(0);
    expect(plan.out.split('\n')[0]).toMatch(
      /^Plan for commit [0-9a-f]{12}: 3 would start, 0 wait, 0 blocked, 0 up to date$/,
    );
    expect(plan.out).toMatch(
      /internal@[0-9a-f]{12} +canary +new group in ring canary on 2026\.11\.1 with 2 tenants/,
    );
  });
  // A long-lived process that runs these commands (a test runner, a wrapper) must not collect
  // state files, log files or git children: each command closes what it opened.
  itWithOpenFiles('closes every file and child it opened, whether or not the head validates', async () => {
    await ringmaster('run', '--once');
    const before = await openFiles();
    for (let i = 0; i < 3; i++) {
      expect((await ringmaster('status', '--json')).code).toBe(0);
      expect((await ringmaster('plan')).code).toBe(0);
      expect((await ringmaster('run', '--once')).code).toBe(0);
    }
    expect(await openFiles()).toBe(before);

    await repo.edit('groups/rings.yaml', 'release: "2026.11.0"', 'release: "not a release"');
    await repo.commit('a head that does not validate');
    // Status shows the state of the commit still followed, and the head's findings.
    const status = await ringmaster('status');
    expect(status.code).toBe(1);
    expect(status.out).toMatch(/^✗ commit [0-9a-f]{12} does not validate; still following [0-9a-f]{12}$/m);
    expect(status.out).toMatch(/✗ head [0-9a-f]{12} is not followed: does not validate \(1 errors; first: /);
    expect(await openFiles()).toBe(before);
    // The log file was ended with its lines in it.
    expect(await readFile(join(state, 'log.json'), 'utf8')).toMatch(/\n$/);
  });
});
